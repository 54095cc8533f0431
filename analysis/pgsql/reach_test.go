package pgsql

import "testing"

// TestServerReach: statements that make the server reach past the
// database carry ServerReach in every spelling, and ordinary ones do not.
func TestServerReach(t *testing.T) {
	reach := []string{
		"CREATE EXTENSION dblink", `CREATE EXTENSION "dblink"`, `create extension U&"\0064blink"`, "CREATE EXTENSION DbLink",
		"CREATE EXTENSION IF NOT EXISTS postgres_fdw WITH SCHEMA x", "CREATE EXTENSION adminpack", "CREATE EXTENSION plpython3u",
		"ALTER EXTENSION dblink UPDATE", "CREATE FOREIGN DATA WRAPPER w", "CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw",
		"ALTER SERVER s OPTIONS (SET host 'h')", "CREATE USER MAPPING FOR PUBLIC SERVER s", "ALTER USER MAPPING FOR CURRENT_USER SERVER s OPTIONS (ADD user 'u')",
		"CREATE FOREIGN TABLE f (a int) SERVER s", "IMPORT FOREIGN SCHEMA public FROM SERVER s INTO x",
		"ALTER FOREIGN TABLE f OPTIONS (SET table_name 'x')", "CREATE SUBSCRIPTION s CONNECTION 'dbname=x' PUBLICATION p",
		"COPY t TO PROGRAM 'sh'", "copy t from program 'sh'", "COPY t TO '/tmp/x'", "COPY (SELECT 1) TO '/tmp/x'",
		"LOAD 'dblink'", "ALTER SYSTEM SET archive_command = 'sh'", "CREATE LANGUAGE plpython3u",
		"CREATE FUNCTION f(text) RETURNS text LANGUAGE c AS '$libdir/dblink', 'dblink_exec'",
		"CREATE FUNCTION f() RETURNS int LANGUAGE internal AS 'be_lo_export'",
		"CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS 'return 1'",
		"CREATE FUNCTION f() RETURNS int AS 'dblink', 'dblink_exec' LANGUAGE C",
		"SELECT dblink_exec('c', 'x')", "SELECT public.dblink_exec('c', 'x')", `SELECT "dblink_exec"('c', 'x')`,
		`SELECT U&"dblink\005fexec"('c', 'x')`, "SELECT DBLINK_EXEC('c', 'x')", "SELECT * FROM dblink('c', 'x') AS t(a int)",
		"SELECT lo_export(1, '/tmp/x')", "SELECT pg_catalog.lo_import('/etc/passwd')", "SELECT pg_file_write('/tmp/x', 'y', false)",
		"PREPARE p AS SELECT dblink_exec('c', 'x')", "CREATE VIEW v AS SELECT dblink_exec('c', 'x')",
		"WITH x AS (SELECT dblink_exec('c', 'q')) SELECT * FROM x", "EXPLAIN ANALYZE SELECT dblink_exec('c', 'x')",
		"ALTER FUNCTION dblink_exec(text, text) RENAME TO innocent", "ALTER FUNCTION lo_export(oid, text) OWNER TO bob",
		"ALTER FUNCTION pg_catalog.lo_export(oid, text) SET SCHEMA public", "ALTER FUNCTION dblink_exec(text) SECURITY DEFINER",
		"CREATE OR REPLACE FUNCTION lo_export(oid, text) RETURNS int LANGUAGE sql AS 'SELECT 1'",
	}
	ordinary := []string{
		"CREATE EXTENSION pg_trgm", "CREATE EXTENSION IF NOT EXISTS hstore", "SELECT similarity('a', 'b')",
		"CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'", "CREATE FUNCTION f() RETURNS int AS 'SELECT 1'",
		"CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$", "CREATE FUNCTION f() RETURNS int BEGIN ATOMIC SELECT 1; END",
		"COPY t TO STDOUT", "COPY t FROM STDIN", "DO $$ BEGIN NULL; END $$", "CALL p()", "ALTER FUNCTION f() RENAME TO g",
		"SELECT lo_get(1)", "SELECT 'dblink_exec'", "SELECT * FROM dblink_log", "INSERT INTO t VALUES ('lo_export')",
		"ALTER TABLE t ADD COLUMN dblink text", "DROP SERVER s", "DROP EXTENSION dblink",
	}
	for _, s := range reach {
		cl, err := ParserClassifier{}.Classify(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if cl.Statements[0].ServerReach == "" {
			t.Errorf("no reach: %s", s)
		}
	}
	for _, s := range ordinary {
		cl, err := ParserClassifier{}.Classify(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if r := cl.Statements[0].ServerReach; r != "" {
			t.Errorf("reach %q: %s", r, s)
		}
	}
}
