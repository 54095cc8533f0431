// Package postgres is a PostgreSQL wire-protocol gateway for the gate.
//
// An agent connects with psql, pgx or any driver to a Server as if it were
// the database. The Server authenticates the client with
// Config.Authenticator, given a gate.Credential (the client never holds the database password: the gateway connects
// upstream with its own credentials), parses every statement with the
// PostgreSQL parser (pg_query), asks the gate to judge it, holds it while a
// human reviews it when a rule says so, masks every row, error and notice
// that comes back, and records the session. A refused statement gets an
// ErrorResponse with SQLSTATE 42501 and the session stays usable; inside a
// transaction the upstream transaction is aborted as well, so client and
// server agree.
//
//	rules, _ := gate.LoadRules("rules.yaml")
//	g := gate.New(gate.Config{Rules: rules, Recorder: rec, Approver: approver})
//	up, _ := pgconn.ParseConfig("postgres://gateway@db:5432/app?sslmode=verify-full")
//	srv, _ := postgres.New(postgres.Config{
//		Gate:          g,
//		Upstream:      up,
//		TLS:           tlsConfig,
//		Authenticator: gate.Tokens(tokens), // the client's password is its token
//	})
//	ln, _ := net.Listen("tcp", ":6432")
//	go srv.Serve(ctx, ln)
//	defer srv.Close()
//
// Each client session is one gate.Conn: every statement is judged through
// it, and every refusal the gateway makes before the rules (a statement
// that does not parse or is too large to judge (pgsql.MaxParseBytes,
// pgsql.MaxStatements), a batch above MaxBatchBytes or of more than
// pgsql.MaxStatements statements or executions, a statement or portal
// the gateway does not know, a FunctionCall message) is recorded as a deny
// decision named "postgres/<check>" ("postgres/parse", "postgres/size",
// "postgres/unknown", "postgres/protocol", "postgres/settings",
// "postgres/lineage", "postgres/self", "postgres/reach",
// "postgres/cluster", "postgres/code"), counted like
// any other.
//
// The gateway's own state may live in the database it gates (the review
// and grant tables of approval/pgapproval, gate/pgrules' rule sets,
// gate/pgruns' runs, record/pgsink's record and anchor:
// DefaultGuardedTables, plus Config.GuardedTables). In a database that
// holds one of them, a statement that is not read-only is refused as
// "postgres/self", whatever the rules say, when it may write, lock,
// alter, drop, rename, grant on or hang code on them: when it names one of
// them or a relation that reaches them (a view or rule over them, an
// inheritance parent or child, a table tied to them by a foreign key, or
// one whose writes run code the gateway cannot see: a trigger, a rule, a
// foreign table, a default or constraint calling a user function) in any
// spelling or role, acts on their schema as a whole or on objects it does
// not name (DROP OWNED, ALTER ROLE ... SET), or runs code the gateway
// cannot see (DO, CALL, CREATE FUNCTION/TRIGGER/RULE, a call of a
// function that may write). The tables are learned from the catalog and
// followed by OID through renames. Reads are left to the rules; a write
// statement that only reads a guarded table is refused too. In a
// database without them nothing changes.
//
// Server-side reach is refused as "postgres/reach", whatever the rules
// say, unless Config.AllowServerReach is set: a statement that makes the
// server reach past the database (CREATE EXTENSION dblink or
// postgres_fdw, a foreign server, user mapping, foreign table or
// subscription, a call of dblink's functions, lo_import, lo_export,
// adminpack's file writes or the server's file readers (pg_read_file,
// pg_read_binary_file, pg_ls_*, pg_stat_file: a table's own file holds its
// rows; called by name or in attribute notation, ('/etc/passwd'::text).
// pg_read_file or t.lo_import), COPY ... PROGRAM or to or from a server file,
// LOAD, ALTER SYSTEM, a function in C or an untrusted language) in any
// spelling; and, where code the gateway cannot see may reach, code it
// cannot see: with a superuser gateway role (it could install dblink
// inside a DO block), DO, CALL and CREATE FUNCTION, TRIGGER or RULE;
// where a reach extension, wrapper or untrusted language is installed,
// also calls of functions that may write, reads of foreign tables and
// writes to tables with triggers or rules. A server-side connection to
// the database holding the gateway's own tables would change them with
// nothing to judge. Run the gateway as a role that is not a superuser
// and ordinary DO blocks, procedures, functions and triggers pass.
//
// Changes to the server's databases and roles are refused as
// "postgres/cluster", whatever the rules say, unless
// Config.AllowClusterChanges is set: the stores may live in another
// database of the same server, as a role of their own, which a statement
// connected anywhere can drop, rename, close (CONNECTION LIMIT 0,
// ALLOW_CONNECTIONS false, REVOKE CONNECT), give away (OWNER, REASSIGN
// OWNED) or reconfigure (ALTER ROLE or DATABASE ... SET search_path or
// default_transaction_read_only, NOLOGIN, a membership). Refused: DROP
// DATABASE, ALTER DATABASE, GRANT or REVOKE on a database or parameter,
// ALTER ROLE, DROP ROLE, GRANT or REVOKE of a role, CREATE ROLE, CREATE
// DATABASE ... TEMPLATE of another database, REASSIGN OWNED, DROP OWNED,
// in any spelling; and, where the
// gateway's role could make them (a superuser, CREATEROLE, the owner of
// another database), DO, CALL and CREATE FUNCTION, TRIGGER or RULE. Run
// the gateway as a role of its own, not the stores' (a role may always
// change its own settings, from code the gateway cannot see too).
//
// The gateway's table names (DefaultGuardedTables, Config.GuardedTables)
// are refused in a statement that may write in every database, not only
// where the tables are: a table an agent made under one is what a store
// migrating there later would use. And the stores of the gateway's own
// state (approval/pgapproval, gate/pgrules, gate/pgruns, record/pgsink)
// refuse, when they migrate, a table of their name they did not make: one
// owned by another role than the one migrating (an agent's copy, with
// rows of its choosing, made from a DO block), a view, or a table with
// triggers, rules, row security, inheritance, or code of the database's
// own: one an agent made first, in public or a schema earlier in
// search_path, would otherwise be what they use.
//
// A client names the run its session belongs to (gate.Session.Run) with
// the startup parameter airlock.run (a driver's runtime parameters, such as
// pgx's ConnConfig.RuntimeParams; libpq sends only the parameters it
// knows). The gateway never passes it upstream; an invalid run id refuses
// the login with SQLSTATE 28000.
//
// The one thing not to forget: without Config.TLS clients cannot send a
// password (it would cross the network in clear text), and every client is
// refused. Config.AllowInsecurePassword lifts that for tests and loopback
// listeners only.
//
// What the rules see: each statement's kind, read-only flag, tables with
// read or write access, functions, columns, has_where and an opaque flag
// for what cannot be judged statically (DO, CALL, EXECUTE, CREATE
// FUNCTION, COPY to or from a program or server file, SET ROLE, SET SESSION
// AUTHORIZATION, LOAD, a call of a built-in that reads data the statement
// does not name as a relation — query_to_xml and the other *_to_xml
// functions, ts_stat, ts_rewrite, lo_get, loread, pg_stat_get_activity,
// pg_stat_get_backend_activity, logical decoding's slot readers, server
// file readers, contrib's crosstab, connectby, xpath_table, pageinspect
// and pg_walinspect: INSERT INTO scratch VALUES (1, query_to_xml('SELECT card
// FROM customers', ...)) lists scratch alone). A statement is read-only only when it calls no
// function outside a list of side-effect-free built-ins. A data-modifying
// statement nested in another (WITH d AS (DELETE ...) SELECT, EXPLAIN
// ANALYZE DELETE) is listed again as a statement of its own, so a rule
// about DELETE sees it; so are the statements an EXECUTE or EXPLAIN
// EXECUTE runs, as the session holds them when it runs.
//
// Messages: a simple Query is judged as a whole (one refused statement
// refuses the message). An extended-protocol batch is buffered up to its
// Sync or Flush (at most Config.MaxBatchBytes) and judged as a whole from
// the statements it binds or executes, every time it runs them; a batch
// that only prepares runs nothing and is not judged, but a statement that
// does not parse is refused at once. A refused batch is answered with an
// ErrorResponse, the rest of it up to Sync is discarded, and ReadyForQuery
// follows. The wire-level FunctionCall message is always refused. A Parse
// that declares a parameter type made in the database (binding runs the
// type's input function and domain checks) whose code is not read-only,
// judged as SELECT NULL::type, makes its statement volatile and not
// read-only. Once the
// server would read SQL differently from the parser
// (standard_conforming_strings off, a client_encoding other than UTF8),
// every statement is refused. The server reports such a change only with
// its next ReadyForQuery, and reads the messages after the changing
// statement the new way: so after any statement that may change them (one
// not read-only: SET, RESET, DISCARD, a write whose trigger may call
// set_config, COMMIT, ROLLBACK; DO, CALL), a statement whose text holds a
// backslash or a non-ASCII character is judged only once the server has
// answered (a pipelined Query or a new sync group waits), and is refused
// later in the same sync group, where no answer comes before Sync.
//
// Session settings: what a statement does depends on settings its text
// does not show (DateStyle reads '01/12/2026' as January or December,
// search_path decides which table an unqualified name is,
// session_replication_role = replica turns triggers off, role whose
// rights apply). Each request carries them (gate.SQL.Settings, sql.settings
// in rules, shown to reviewers, bound into an approval and a grant):
// datestyle, intervalstyle, timezone, timezone_abbreviations, search_path,
// role, session_authorization, is_superuser, session_replication_role,
// row_security, bytea_output, extra_float_digits, lc_monetary, lc_numeric,
// lc_time, transform_null_equals, array_nulls, xmloption, xmlbinary,
// default_transaction_read_only, default_transaction_isolation,
// gin_fuzzy_search_limit, standard_conforming_strings and
// client_encoding, as the server holds them: the gateway reads them itself
// with SHOW at connect (after the startup parameters and ALTER ROLE or
// DATABASE ... SET took effect) and after every message that may have
// changed them (anything not read-only, COMMIT, ROLLBACK, or a change the
// server reports), right after that message, and judges the next
// statement only once that read is answered. Most of them the server
// never reports, and those it reports it reports only at the message's
// end, so within one message (a Query, or a sync group) a statement after
// one that changes settings (SET, RESET, DISCARD, COMMIT, ROLLBACK, an
// opaque statement, a call of a function that may write, a write to a
// relation whose writes run code of the database's own — a trigger, a
// rule, a default, CHECK constraint or index calling a function of its
// own, a domain, a view, a foreign table, a partition or inheritance kin
// or a table a foreign key cascades to with any of them — or any write
// after a schema change in the same message) is refused as
// "postgres/settings" unless it is SET, RESET, SHOW, DISCARD or
// transaction control: send it in a message of its own. The read is a
// Query of its own: it drops the server's unnamed prepared statement and
// portal, as any Query does. A read that fails (but in a failed
// transaction, where only its end runs) ends the session. The startup
// parameter options is never passed on.
//
// Protocol state: the gateway keeps a model of the server's session
// (prepared statements, portals, the skip-until-Sync state after an
// error) and changes it only on what the server confirmed: ParseComplete,
// BindComplete, CloseComplete, the CommandComplete of SQL PREPARE,
// DEALLOCATE [ALL] and DISCARD ALL, ReadyForQuery ending a transaction
// (its portals go). A failed or skipped message adds nothing; removals may
// come early. Within one sync group the messages already sent count as
// done (after an error the server skips the rest); a message that depends
// on an earlier group waits until the server has answered it. A Bind,
// Execute or EXECUTE of a name the model does not know is refused (an
// EXECUTE's read_only is false then, and otherwise that of the statement
// it runs as well as its own). A Query sent while the server skips to
// Sync is not forwarded, as the server would ignore it. COPY FROM STDIN
// is accepted in a simple Query only. Every server message must answer a
// message the gateway judged (notices, notifications and parameter status
// are asynchronous); any other, and any FATAL error, ends the session: it
// is never passed on. A DO block or CALL may prepare statements out of
// sight; the model then forgets every prepared statement.
//
// Limits: before authentication every client message is at most
// MaxAuthMessageBytes (the startup packet 10000 bytes, as PostgreSQL) and
// the startup, authentication included, must end within
// Config.StartupTimeout. A session idle in a transaction (or a failed
// one) for longer than Config.IdleInTransactionTimeout (default 5
// minutes) is ended with SQLSTATE 25P03: its locks would block other
// sessions for as long as the client waits; a statement held for review
// is not idle. Config.MaxConnections (default 256) bounds the
// connections open at once and Config.MaxConnectionsPerIdentity the
// sessions of one identity; a client over either gets SQLSTATE 53300 and
// nothing else is disturbed.
//
// Database name: a Server serves the one database of Config.Upstream. A
// client that names another database is refused with SQLSTATE 3D000
// (naming none, or the upstream's, is fine); run one Server per database.
// session.target names it (host/database unless Config.Target is set).
//
// Record: besides each result's rows, the record holds per statement its
// CommandComplete tag (the last line of its rows, "(SELECT 3)", or stream
// "status" for a statement that returns none) and the upstream's
// ErrorResponse and NoticeResponse as the client saw them, masked
// (streams "error" and "notice"), each linked to its decision; and what
// the server sends on its own, as the client saw it: each notification
// ("<channel>: <payload>", stream "notification") and each setting it
// reports during the session ("<name> = <value>", stream "setting"),
// linked to the decision of the request being answered, if any. An
// extended-protocol Execute's Bind parameters travel with its request
// (gate.SQL.Params) for reviewers and the record: text as sent, binary
// values of common types decoded, others "<binary N bytes>".
//
// Holds: in the gate's Hold mode a statement under review blocks its
// session (the client's later messages wait in the socket) until a
// reviewer decides; a CancelRequest from the client withdraws the review
// and the statement fails with SQLSTATE 57014. Clients get cancel keys of
// the gateway's own, mapped to the upstream's.
//
// Masking: the gateway knows every result's columns whatever the client
// asks: when a decision masks results, it sends the server a Describe of
// each Execute's portal of its own (the reply is not passed on), and a
// row whose columns it cannot name ends the session. DataRow values in
// text format are masked as text (a bytea also as its bytes). In binary
// format, text-like types (text, varchar, char, name, json, jsonb, xml)
// are masked as text; any other binary value is read as every value
// inside it (records, composite types, arrays and ranges element by
// element, bytea as its bytes, other types in the text form pgtype gives
// them) and sent as NULL, the one value valid for every type, when masking
// would change any of them, when a field rule covers its column, or when
// the gateway cannot read it (a type pgtype does not know, such as an
// enum or an extension's type: ask for those in text format). COPY table
// TO STDOUT in text format is masked column by column, each column as
// the same column of SELECT cols FROM ONLY table would be (see Field
// rules and lineage): a child's or a partition's column as its
// ancestors', a generated column as what it computes on, a table named
// without its schema as every table of that name, and statistics, large
// objects, TOAST and temporary tables as unknown; other COPY output
// (a query, csv, binary) is refused when the decision masks results. A
// FETCH from a BINARY cursor is masked as binary. Each result is
// recorded as the client saw it, as tab-separated text bounded by
// Config.RecordLimit, through one gate output writer per result
// (forwarded, then recorded when the result ends). When a result cannot be
// recorded, the session ends: the client's connection is closed before the
// result's CommandComplete, and nothing after it reaches the client. The
// CommandComplete tag, errors and notices are recorded (masked, as the
// client receives them) before they are passed on.
//
// Field rules and lineage. Detectors catch values by their look (a card
// number, an e-mail); field rules catch columns by where the data comes
// from ("customers.name"), whatever it looks like. Field rules follow the
// data: each result column is masked as the first base column of its
// lineage that a field rule covers, through sub-queries in FROM, CTEs
// (recursive too), LATERAL, set operations, scalar and correlated
// sub-queries, * and t.*, whole-row references (row_to_json(c), to_json(t),
// ROW(...)), aggregates, window functions, CASE, COALESCE, casts and every
// function and operator (an expression is taken to depend on all its
// inputs). Views and materialized views are followed through their
// definitions, nested, and SQL-language functions through their bodies,
// all read from the upstream's catalog on a connection of the gateway's own
// (its search_path pinned to pg_catalog, so no database or role setting
// lets another schema's functions answer the catalog's queries);
// a name is resolved in every schema at once, since the session's
// search_path is not known. The cache is started over when the catalog's
// version changes (read at most once a second while statements flow), when
// a session's transaction that ran DDL ends, and when a statement fails on
// a missing relation, column or function; inside a transaction that ran
// DDL, the catalog connection cannot see the session's own changes, so
// every column's lineage is unknown until it ends. Cursors (DECLARE/FETCH)
// and SQL prepared statements (PREPARE/EXECUTE) carry the lineage of every
// query ever declared under their name in the session.
//
// Carriers. Arithmetic takes a value's look away (card_num / 1000000,
// to_hex(card_num)), so a detector alone cannot mask what is computed from
// a column no field rule covers. Once a detector has found a value in such
// a column read bare (or in COPY table TO STDOUT), the server remembers
// the column as a carrier, and a computed column whose lineage passes a
// carrier (or is unknown) is withheld (NULL) for every session. Before a
// computed column over a base column not known either way goes out, the
// gateway reads that column itself (on its catalog connection, read-only,
// at most 20000 rows, a parent's partitions and children included, never
// a view, foreign table or table under row-level security) and runs the decision's detectors over
// it: a finding makes it a carrier at once, none makes it clean for a
// minute. A column it cannot read so is not known to be clean, and what is
// computed from it is withheld: sum(amount) over a large table comes back
// NULL to a session whose decision masks with detectors. Values written
// after a probe may be missed for up to that minute.
//
// Untraceable results. Under a decision that masks with detectors, a
// result column the gateway cannot trace to its base columns is never
// known to be free of a carrier, so it is withheld (NULL) even before any
// carrier is known: the result of a PL/pgSQL, C or other non-SQL function
// (dynamic SQL, SECURITY DEFINER, set-returning, RETURNS TABLE, OUT
// parameters, records, composites, json, arrays: my_plpgsql_fn(id) comes
// back NULL whatever it computes), of a user-defined aggregate or
// operator, of a cast to a type of the database's or through a cast
// function of its own (CREATE CAST ... WITH FUNCTION), and anything else
// of unknown lineage below. A SQL function's body is followed instead (a
// computed column over a carrier is withheld, one over clean columns
// passes). A column the server names as a view's (or a materialized
// view's, or a foreign table's) counts as computed unless the view passes
// a base column through as it is: SELECT v FROM a view defined as
// reverse(card) AS v is withheld, a view's bare card column is masked by
// the detectors as the table's would be. A lineage that follows a view
// or SQL function of the database's is trusted only after the catalog's
// version is read to be unchanged (one catalog query per such result,
// never for a plain read of tables): one the owner replaced (CREATE OR
// REPLACE, on a connection of its own) is followed as replaced by the
// very next statement.
//
// Fail closed: a column whose lineage cannot be proven free of a covered
// column is masked — one computed by a function that is neither a built-in
// computing from its arguments alone nor a SQL function with a readable
// body (PL/pgSQL, C, a user-defined operator, query_to_xml and other
// built-ins that read data by name or show other sessions' statements,
// pg_stat_get_backend_activity among them), one of a relation the catalog
// does not know, one of a relation that holds other relations' values
// under a name of its own (the statistics views and pg_statistic, which
// keep a column's most common values and histogram after ANALYZE,
// pg_largeobject, TOAST tables, foreign tables, column defaults, and
// every sequence, as the last value of a serial or identity column, with
// currval, lastval, nextval and pg_sequence_last_value; temporary tables,
// which hold whatever the session put in them), a FETCH from a
// cursor the gateway did not see declared, SHOW once the session ran a
// statement that may have stored a computed value in a setting
// (set_config), and every read of the session's state that a statement,
// or code the gateway cannot see, may fill with a value it read:
// current_setting, pg_settings, advisory locks (pg_locks, keyed on any
// number: pg_advisory_lock(card::int8)), LISTEN channels
// (pg_listening_channels), prepared statements and cursors
// (pg_prepared_statements, pg_cursors: named by code). Such a column is masked as
// soon as any column of the database is covered by a field rule of the
// decision. A partition or inheritance child carries its ancestors'
// columns, and a parent its descendants': a field rule on customers.pin
// covers customers_2024.pin.
// Positions in a result are trusted only when the lineage lists as many
// columns as the RowDescription, with the same names; otherwise every
// column carries the lineage of all of them. The cost is over-masking: an
// unrelated computed column in such a statement (my_plpgsql_fn(id), a
// count next to a masked column behind SELECT *) is masked too; a leak is
// not acceptable, over-masking is.
//
// Errors and notices: the server puts values in them, quoted or not
// ("invalid input syntax for type integer: ...", "index 1234 out of valid
// range", "Key (pin)=(1234) is not present"), and not only while the
// statement that read them runs: deferred constraints and constraint
// triggers raise at COMMIT, END, SET CONSTRAINTS, PREPARE TRANSACTION or
// the Sync ending an implicit transaction, and a trigger raises (or
// notices) during a write to another table. So, once any column of the
// database is covered by a field rule of the decision, every error and
// notice loses its text — the message becomes "[masked] <SQLSTATE class>
// <SQLSTATE>: ...", the detail, hint, context and internal query go, and
// so do the schema, table, column, type and constraint names of one a
// function raised (RAISE ... USING COLUMN = any text) — unless it is
// proven free of data: the server, not a function (a domain's check, a
// row-level-security policy, anything the lineage does not show), raised
// it answering a read (SELECT, VALUES, TABLE, SHOW, FETCH, MOVE, DECLARE,
// CLOSE, EXPLAIN) that is read-only and evaluates no covered column and
// nothing of unknown lineage, or it is an error of the
// parse analysis of the client's own statement (class 42, with a position
// in the statement, raised outside any function, quoting only what the
// statement contains: a misspelt column). An error of a write, of
// transaction control or of a Sync keeps only its SQLSTATE (and the
// server's constraint name) in such a session. The same rule holds when
// the decision masks with detectors, with "covered" meaning any column
// not probed clean of carriers (see Carriers): invalid input syntax for
// type integer: "<a card reversed>" is no detector's finding, so the
// error of SELECT reverse(card)::int8, or of a PL/pgSQL function's RAISE
// or NOTICE (my_plpgsql_fn() raising 'card on file %'), loses its text,
// while SELECT name::int keeps "invalid input syntax ... "Ada"".
//
// NOTIFY payloads, which
// any session may fill with any value, are masked whole (as a column a
// field rule covers; under a decision that masks with detectors only,
// withheld as "[masked]", since no detector knows a card turned into
// letters by pg_notify('ch', translate(card, ...))). So are the
// settings the server reports on its own (ParameterStatus), into which a
// statement may store what it read (set_config('application_name', card,
// false), a TimeZone abbreviation in letters): under a decision that
// masks, a reported setting whose values are not of a fixed vocabulary
// (application_name, TimeZone) comes as "[masked]", unless it is back at
// the value the session started with. A notification's channel comes as
// "[masked]" too unless the client named it in a LISTEN of its own (code
// may LISTEN on a name it computed). The settings the gateway reads
// itself (see Session settings) are tainted the same way: a value read
// after a statement judged under a decision that masks that may have
// computed it (one that reads a column or runs code of the database's:
// a SET of literals, SELECT set_config('TimeZone', 'UTC', false), does
// not) is carried as "[masked]" by every later request of the session
// (rules, reviewers, the record), unless the setting's values come from
// a fixed vocabulary (DateStyle, bytea_output, ...); and while TimeZone
// holds such a value, which every timestamp with time zone the server
// sends shows (a POSIX zone '<ABCD>+12:34' spells letters and digits),
// every statement under a decision that masks but SET, RESET, SHOW,
// DISCARD and transaction control is refused: SET or RESET TimeZone.
//
// Code and state under masking. What code stores where a later read
// shows it under a name of its own outlives every lineage: a table, a
// schema, a comment, an enum label or a view's text named after a masked
// value (EXECUTE format('CREATE TABLE %I ()', name) in a DO block, a
// PL/pgSQL function or a trigger; read back from pg_class, \d, an error
// naming it, in any later session), or a setting whose effect later
// statements show (enable_seqscan in a plan, statement_timeout,
// DateStyle in a date, search_path in which table a name resolves to:
// CASE WHEN name LIKE 'A%' THEN 'off' ELSE 'on' END, one bit per
// statement). So, under a decision that masks, whatever the rules say,
// the gateway refuses as "postgres/code": a DO block, a CALL, CREATE or
// ALTER of a function, procedure, trigger, rule or event trigger; a
// statement that reads a column a field rule covers (or, under
// detectors, one not probed clean) or anything of unknown lineage and
// runs code of the database's that may write (a VOLATILE function not in
// SQL, an operator, cast or type whose code may, a write to a relation
// whose writes run code: a trigger, a rule, pg_settings), the result of
// the one such function a statement calls counting as computed from what
// it is handed; and a call of a built-in that stores its arguments in
// state (set_config, advisory locks, pg_notify, setval, large objects)
// in a statement that reads such a column or anything of unknown
// lineage. Literal DDL and settings, reads through PL/pgSQL functions
// (SELECT f(id) FROM t: withheld) and code given no masked value run as
// before.
// Code the owner wrote that selects a masked value by itself and stores
// it (a function the agent calls, by name or through a view or a SQL
// function's body; a trigger, rule, default, generated column or CHECK
// a write runs) is followed by name through every body, view, rule and
// expression it names: under a decision that masks, a statement is
// refused as "postgres/code" when that code may read what the decision
// masks (it names a relation whose columns may carry it, runs dynamic
// SQL or a built-in that reads data by name, or is in a language other
// than SQL and PL/pgSQL) and may store it (it names a verb that stores:
// INSERT, UPDATE, DELETE, MERGE, COPY, CREATE, ALTER, COMMENT, EXECUTE,
// set_config, setval, pg_notify, advisory locks, large objects; or the
// statement writes a row that a default, generated column, rule or a
// BEFORE trigger assigning NEW shapes, or a row from a function's
// result). So a helper that runs the SQL it is handed (EXECUTE q) is
// refused under masking whatever it is handed. Code that only reads
// (its result is masked or withheld), that stores without reading masked
// relations (an audit trigger), and AFTER, constraint and notice-only
// triggers run as before. The code's text is read once per catalog
// version, and the version is read again before each statement that runs
// such code (code made or replaced a moment ago counts).
// Known limits: a value
// copied into another table is that table's column (writes are for rules
// to refuse), and a schema change made outside the gateway is seen up to a
// second late by rules and error masking (result columns that follow a
// view or SQL function see it at once).
//
// Predicates are a channel too: WHERE name LIKE 'A%', ORDER BY, GROUP BY,
// DISTINCT (ON), LIMIT, a JOIN condition or a sub-query there reveal a
// masked column a bit at a time, and so does whatever decides how many
// rows come back: count(*) over generate_series(1, pin::int) is the pin.
// The arguments of a function in FROM (unnest, string_to_table, ROWS
// FROM, XMLTABLE, JSON_TABLE) and of TABLESAMPLE count as filters. Rules see, per statement, filter_columns (the base
// columns used outside the output list, through sub-queries, CTEs and
// views; "*" when unknown) and masked_columns_filtered (those a field rule
// of the rule file covers, whichever rules apply to the request: the
// classification runs before the rules), so a rule can deny or review:
//
//	rules:
//	  - name: no-filtering-on-masked-columns
//	    when: identity.kind == "agent" && sql.statements.exists(s, s.masked_columns_filtered.size() > 0)
//	    action: deny
//
// masked_columns_computed lists the masked columns an output expression
// computes on instead of passing through (lower(name), name::int, CASE
// WHEN name ... END): the value comes back masked, but an error or a delay
// computed from it (1/(CASE WHEN name LIKE 'A%' THEN 0 ELSE 1 END),
// pg_sleep) is an oracle as well; a strict policy denies it too. For a
// statement that stores (INSERT ... SELECT, UPDATE ... SET, MERGE, a
// function with side effects) it lists every masked column the statement
// touches, bare ones included: a copy in a column no field rule covers
// would come back unmasked from a later read.
//
// A view's or function's own predicates are the author's, not the
// client's: they are not listed (a function's are part of its result's
// lineage instead). Resolving needs the catalog: when it cannot be read,
// the statement is refused. Statements from a Config.Classifier other than
// the built-in ones carry no lineage plan: their columns are unknown.
//
// Classification: statements are parsed and classified by package
// analysis/pgsql (kind, read_only, opaque, volatile, heavy, tables,
// functions, columns, secrets, lineage plans; its package documentation
// gives every verdict) through Config.Classifier, cached by default.
// This package loads what the analyser judges with from the upstream, on
// connections of its own: pg_proc, operators, casts, view definitions and
// row-level-security policies for function verdicts (read once per
// upstream, refreshed every minute and, at most once a second, for a name
// it does not know; when it cannot be read, every call is volatile and
// not read-only), and relations, columns and SQL function bodies for
// lineage (the cache described above; a result that follows a view or
// SQL function reads the version first, see Untraceable results). A verdict kept for later (a
// prepared statement, by Parse or SQL PREPARE, and a bound portal) is
// tied to the catalog's version it was made under: bound, executed or
// EXECUTEd once the version changed (read at most once a second), the
// statement is judged again from its text, as the server plans it again
// with the owner's new code (a domain's CHECK, a redefined view, a table
// swapped for a view); a FETCH or MOVE is then read-only only if every
// query declared under its cursor's name, judged again, is.
package postgres
