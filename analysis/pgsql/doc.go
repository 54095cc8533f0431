// Package pgsql classifies PostgreSQL statements for the gate: it turns
// SQL text into the statements rules judge (gate.SQLStatement: kind,
// read_only, opaque, volatile, heavy, tables, functions, columns) plus
// what a proxy needs to mask results (the literals to keep out of records,
// COPY sources, the lineage of every result column). It parses with the
// PostgreSQL parser itself (pg_query, cgo) and is usable without a proxy:
// a rule tester, a linter or an agent runtime can classify a statement
// before it ever reaches a database.
//
//	cls := pgsql.NewClassifier(0) // cached
//	c, err := cls.Classify("SELECT name FROM customers WHERE id = 7")
//	if err != nil {
//		return err // does not parse: deny
//	}
//	for _, s := range c.Statements {
//		fmt.Println(s.Kind, s.ReadOnly, s.Opaque)
//	}
//
// Every parse goes through Parse, which refuses (ErrTooDeep, inside
// ErrUnparsable) a text that may nest deeper than MaxNesting levels:
// libpg_query recurses in C without a stack-depth check, and a chain of
// some 25,000 operators, casts, joins or unions would otherwise overflow
// a thread's stack and kill the whole process. Parsing and classifying
// also cost memory in proportion to a text (100 to 900 times its bytes):
// a text over MaxParseBytes or of more than MaxStatements statements is
// refused (ErrTooLarge), and big texts share ParseBudgetBytes, waiting
// their turn rather than exhausting the machine's memory together.
//
// The analyser never does I/O. What it needs from a database's catalog
// comes through two small interfaces that a caller implements:
// ProcCatalog (pg_proc, operators, casts, view and policy definitions),
// which WithProcCatalog uses to judge functions, and Catalog (relations,
// functions and operators by name), which a Resolver uses to follow each
// result column to the base columns it is computed from. Without them,
// functions are judged by a built-in list and lineage is not resolved.
// Package protocols/postgres implements both on connections of its own.
//
// Lineage: a Statement of ParserClassifier carries a plan built from the
// parse tree alone (HasLineage). Resolver.Resolve follows it through the
// Catalog — sub-queries, CTEs (recursive too), LATERAL, set operations,
// whole-row references, every function and operator, views and
// materialized views through their definitions, SQL functions through
// their bodies, the cursors and prepared statements a Session remembers —
// and returns a Resolved: each result column's Lineage, the columns used
// outside the output list (Filter), those computed on (Computed) and every
// column evaluated (Touched; unknown once a relation read has row-level
// security, whose policies run out of the statement's sight). What cannot be followed (a PL/pgSQL or C
// function, a user-defined aggregate or operator, a cast to a type
// defined outside pg_catalog or through a cast function defined outside
// it, a built-in that reads data by name or another session's
// statements, a relation the catalog does not know, one that holds other
// relations' values under its own name — statistics, large objects, TOAST,
// foreign tables, sequences and the functions that read them (currval,
// lastval, nextval, pg_sequence_last_value), column defaults, temporary
// tables (schema pg_temp_N), the readers of a session's state that a
// statement may fill with a value it read (settings, advisory locks in
// pg_locks, LISTEN channels, prepared statements, cursors) — a plan
// past the work bound) is Unknown: a caller masks
// it whenever any column is covered. A partition's or inheritance child's
// columns carry their kin's names too. Whatever decides how many rows come
// back (a FROM function's arguments, TABLESAMPLE, LIMIT, DISTINCT) is in
// Filter: a row count reveals a value as a predicate does. A column's
// Lineage says whether it is Computed or a base column's stored value
// passed through (what a proxy needs to judge a view's column by the
// name the server gives it), and Resolved.Definitions whether it followed
// a view or SQL function the database's owner may replace at any time.
// Answers are memoised per Catalog generation.
//
// Verdicts, per statement: kind is the verb (SELECT, DELETE, PREPARE
// TRANSACTION, ...). read_only is true only when the statement cannot change
// data, session or server state: a SELECT without INTO, FOR UPDATE/SHARE or
// a data-modifying CTE whose functions are read-only; EXPLAIN without
// ANALYZE; SHOW; BEGIN/COMMIT/ROLLBACK/SAVEPOINT; DECLARE, FETCH, MOVE,
// CLOSE of read-only cursors; COPY ... TO STDOUT. PREPARE is read-only only
// when what it prepares is; EXECUTE and EXPLAIN [ANALYZE] EXECUTE answer for
// their argument expressions and are followed, as their own entry, by the
// prepared statement the server confirmed (an unknown name is not
// read-only). Two-phase commit (PREPARE TRANSACTION, COMMIT/ROLLBACK
// PREPARED), SET/RESET, LISTEN/NOTIFY, LOCK, DISCARD and every statement type
// not named here are never read-only. opaque marks what cannot be judged
// statically (DO, CALL, EXECUTE, CREATE FUNCTION, COPY PROGRAM or file, SET
// ROLE, LOAD, and a call of a built-in that reads data the statement does
// not name as a relation: query_to_xml and the other *_to_xml functions,
// ts_stat, ts_rewrite, lo_get, loread, pg_stat_get_activity,
// pg_stat_get_backend_activity, logical decoding's slot readers, the
// server's file readers, and contrib's crosstab, connectby, xpath_table,
// pageinspect and pg_walinspect; what they read is in no statement's
// tables). An
// agent read is written kind == "SELECT" && read_only && !opaque.
//
// Functions are judged by a database's own catalog (pg_proc, given to
// WithProcCatalog): a pg_catalog built-in marked immutable or stable is
// read-only unless a deny-list names it (file, large-object, setting, lock,
// signal and replication functions, dblink, nextval/setval, txid_current,
// and the *_to_xml family, which runs query text and reads whole tables
// around column masks); a volatile built-in is read-only only when harmless
// (random, clock_timestamp, gen_random_uuid, pg_sleep). A function outside
// pg_catalog, or one with a same-named twin outside it, is never read-only:
// its declared volatility is its author's word (a STABLE PL/pgSQL function
// may still call set_config or dblink_exec). Operators, casts, attribute
// notation (t.f), and the queries of the views and row-level-security
// policies a statement reads are judged the same way, and so is the code a
// statement runs without naming it: the operators that CASE x WHEN, JOIN
// USING, IN (SELECT ...), BETWEEN and ORDER BY USING resolve to by name;
// for every type named (a cast, a column definition list, a PREPARE's
// parameters) and every column type of a relation read, the type's I/O
// functions, domain constraints, casts, default operator classes and
// component types; the operator classes of a relation's indexes, a foreign
// table's wrapper, a parent's children; and implicit casts between
// built-in types that are not built-ins, with every statement. volatile marks a
// statement calling a volatile or unvouched-for function; heavy one calling
// pg_sleep, generate_series, repeat, lpad/rpad and the like. Without a
// ProcCatalog, a narrower built-in list decides; when it cannot be read,
// every call is volatile and not read-only.
//
// The classification cache keys statements by their text with literals
// stripped (numbers by grammar class), and never caches a classification
// that read a literal's value (EXPLAIN (ANALYZE 'on'), COPY options) or a
// text that could hold a secret (a password option, a connection string): a
// cached verdict equals a fresh one (TestCacheSiblingProperty here;
// TestCacheEqualsFreshForSiblings and FuzzCacheEqualsFresh in
// protocols/postgres). Passwords inside statements — role passwords,
// connection strings of dblink and subscriptions, foreign-server and
// user-mapping options — are the Statement's Secrets: a gate records them
// only as HMACs.
package pgsql
