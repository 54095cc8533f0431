// Package postgres is a PostgreSQL wire-protocol gateway for the gate.
//
// An agent connects with psql, pgx or any driver to a Server as if it were
// the database. The Server authenticates the client with Config.Authenticate
// (the client never holds the database password: the gateway connects
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
//	srv, _ := postgres.NewServer(postgres.Config{
//		Gate:     g,
//		Upstream: up,
//		TLS:      tlsConfig,
//		Authenticate: func(ctx context.Context, r postgres.AuthRequest) (gate.Identity, error) {
//			return verifyToken(ctx, r.Password) // the client's password is its token
//		},
//	})
//	ln, _ := net.Listen("tcp", ":6432")
//	go srv.Serve(ln)
//	defer srv.Close()
//
// The one thing not to forget: without Config.TLS clients cannot send a
// password (it would cross the network in clear text), and every client is
// refused. Config.AllowInsecurePassword lifts that for tests and loopback
// listeners only.
//
// What the rules see: each statement's kind, read-only flag, tables with
// read or write access, functions, columns, has_where, and the flags
// below. A data-modifying statement nested in another (WITH d AS (DELETE
// ...) SELECT, EXPLAIN ANALYZE DELETE, EXECUTE of a prepared DELETE) is
// listed again as a statement of its own, so a rule about DELETE sees it.
// An agent read is `kind == "SELECT" && read_only && !opaque`.
//
//   - read_only: the statement changes no data, schema, server or session
//     state. Only these statement types can be read-only: SELECT (without
//     INTO, FOR UPDATE/SHARE or a data-modifying WITH), EXPLAIN (with
//     ANALYZE only as the statement explained; an ANALYZE value it cannot
//     read counts as on), SHOW, BEGIN/START/COMMIT/ROLLBACK/SAVEPOINT/
//     RELEASE, DECLARE (never WITH HOLD), FETCH, MOVE, CLOSE, DEALLOCATE,
//     COPY ... TO STDOUT, PREPARE (exactly as the statement it prepares),
//     EXECUTE and EXPLAIN EXECUTE (as their argument expressions, and as the
//     prepared statement, which the gateway adds). Every other type is
//     never read-only: SET, RESET, DISCARD, LISTEN, NOTIFY, LOCK,
//     CHECKPOINT, VACUUM, ANALYZE, CLUSTER, REINDEX, LOAD, SECURITY LABEL,
//     COMMENT, REFRESH, CALL, DO, IMPORT FOREIGN SCHEMA, ALTER SYSTEM, all
//     DDL, and the two-phase commit statements (kinds "PREPARE
//     TRANSACTION", "COMMIT PREPARED", "ROLLBACK PREPARED"). A statement
//     type the parser adds later is not read-only either.
//   - volatile: the statement calls a function that the upstream's own
//     catalog (pg_proc) declares VOLATILE, that it does not know, whose
//     declared volatility is not trusted (only built-ins and SQL or
//     PL/pgSQL functions are believed: a C or untrusted-language function
//     can declare anything), or that is on the deny-list below. Every
//     overload and, for an unqualified name, every schema counts: the most
//     dangerous wins. A volatile call makes the statement not read-only,
//     except the built-ins that only read clocks, sizes or random numbers
//     (random, clock_timestamp, pg_sleep, pg_database_size, ...). When the
//     catalog cannot be read, every function call is volatile. Calls the
//     text does not spell as such count too: operators, casts and typed
//     literals (the cast and input functions of the type), attribute
//     notation (t.f calls f(t)), and the query of every view and the
//     row-level security policies of every table the statement reads
//     (classified like the statement; system views are trusted).
//   - The deny-list (never read-only, whatever the catalog says): file and
//     large-object access (pg_read_*, pg_ls_*, pg_stat_file, lo_*), dblink*,
//     set_config, sequences (nextval, setval), advisory locks, replication
//     slots, backend signalling, configuration reload, and functions that
//     run SQL or read a table named in a string (query_to_xml and the other
//     *_to_xml, ts_stat, ts_rewrite). current_setting is allowed: it reads
//     only what the role may read.
//   - heavy: the statement calls a function whose cost is out of
//     proportion to its text (pg_sleep*, generate_series, repeat, lpad,
//     rpad, array_fill, regexp_*, ...), for rules that limit agents.
//   - opaque: what cannot be judged statically (DO, CALL, EXECUTE, CREATE
//     FUNCTION, COPY to or from a program or server file, SET ROLE, SET
//     SESSION AUTHORIZATION, LOAD).
//
// The catalog is read on a connection of the gateway's own, once per
// upstream, and again after a minute or when a statement calls a name it
// does not know (at most once a second). A classifier used on its own,
// without a Server, judges functions from a fixed list of built-ins.
//
// Secrets: passwords in ALTER/CREATE ROLE, option values named like a
// secret (OPTIONS (password ...), sslpassword, secret, token), and
// passwords inside connection strings anywhere in a statement
// (dblink_connect('... password=...'), CREATE SUBSCRIPTION ... CONNECTION,
// postgresql://user:secret@host/db, ?password=) are recorded as HMACs.
//
// The classification cache keys on everything the classification reads: a
// cached verdict equals a fresh one (a property test and a fuzz target hold
// it). Texts that may carry a secret are never cached.
//
// Messages: a simple Query is judged as a whole (one refused statement
// refuses the message). An extended-protocol batch is buffered up to its
// Sync or Flush (at most Config.MaxBatchBytes) and judged as a whole from
// the statements it binds or executes, every time it runs them; a batch
// that only prepares runs nothing and is not judged, but a statement that
// does not parse is refused at once. A refused batch is answered with an
// ErrorResponse, the rest of it up to Sync is discarded, and ReadyForQuery
// follows. The wire-level FunctionCall message is always refused. Once the
// server would read SQL differently from the parser
// (standard_conforming_strings off, a client_encoding other than UTF8),
// every statement is refused.
//
// Holds: in the gate's Hold mode a statement under review blocks its
// session (the client's later messages wait in the socket) until a
// reviewer decides; a CancelRequest from the client withdraws the review
// and the statement fails with SQLSTATE 57014. Clients get cancel keys of
// the gateway's own, mapped to the upstream's.
//
// Masking: DataRow values in text format are masked as text. In binary
// format, text-like types (text, varchar, char, name, json, jsonb, xml)
// are masked as text; any other binary value that masking would change is
// sent as NULL, the one value valid for every type. Field rules name
// "table.column", resolved from RowDescription through the upstream catalog;
// a computed column is masked by the rules of the columns it is computed
// from. COPY table TO STDOUT in text format is masked column by column;
// other COPY output (a query, csv, binary) is refused when the decision
// masks results. Each result is recorded as the client saw it, as
// tab-separated text bounded by Config.MaxRecordBytes.
package postgres
