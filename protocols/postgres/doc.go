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
// read or write access, functions, columns, has_where and an opaque flag
// for what cannot be judged statically (DO, CALL, EXECUTE, CREATE
// FUNCTION, COPY to or from a program or server file, SET ROLE, SET SESSION
// AUTHORIZATION, LOAD). A statement is read-only only when it calls no
// function outside a list of side-effect-free built-ins. A data-modifying
// statement nested in another (WITH d AS (DELETE ...) SELECT, EXPLAIN
// ANALYZE DELETE, EXECUTE of a prepared DELETE) is listed again as a
// statement of its own, so a rule about DELETE sees it.
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
// ROLE, LOAD). An agent read is written kind == "SELECT" && read_only &&
// !opaque.
//
// Functions are judged by the upstream's own catalog (pg_proc), read once
// per upstream and refreshed: a pg_catalog built-in marked immutable or
// stable is read-only unless a deny-list names it (file, large-object,
// setting, lock, signal and replication functions, dblink, nextval/setval,
// txid_current, and the *_to_xml family, which runs query text and reads
// whole tables around column masks); a volatile built-in is read-only only
// when harmless (random, clock_timestamp, gen_random_uuid, pg_sleep). A
// function outside pg_catalog, or one with a same-named twin outside it, is
// never read-only: its declared volatility is its author's word. volatile
// marks a statement calling a volatile or unvouched-for function; heavy one
// calling pg_sleep, generate_series, repeat, lpad/rpad and the like. When
// the catalog cannot be read, a narrower built-in list decides.
//
// The classification cache keys statements by their text with literals
// stripped (numbers by grammar class), and never caches a classification
// that read a literal's value (EXPLAIN (ANALYZE 'on'), COPY options) or a
// text that could hold a secret (a password option, a connection string):
// a cached verdict equals a fresh one (TestCacheEqualsFreshForSiblings,
// FuzzCacheEqualsFresh). Passwords inside statements — role passwords,
// connection strings of dblink and subscriptions, foreign-server and
// user-mapping options — are the request's Secrets: records hold them only
// as HMACs.
package postgres
