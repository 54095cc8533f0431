package pgsql

import "testing"

// TestClusterChange: statements that change a database or a role carry
// ClusterChange in every spelling; ordinary DDL on the database's own
// objects does not. CREATE EXTENSION ... CASCADE carries ServerReach, and
// GRANT or REVOKE on a schema names it in Mentions.Schemas.
func TestClusterChange(t *testing.T) {
	cluster := []string{
		"DROP DATABASE b", "drop database if exists b", `DROP DATABASE "b" WITH (FORCE)`, `DROP DATABASE U&"\0062"`,
		"ALTER DATABASE b RENAME TO c", "ALTER DATABASE b OWNER TO x", "ALTER DATABASE b SET search_path = evil",
		"ALTER DATABASE b RESET ALL", "ALTER DATABASE b CONNECTION LIMIT 0", "ALTER DATABASE b ALLOW_CONNECTIONS false",
		"ALTER DATABASE b IS_TEMPLATE true", "ALTER DATABASE b WITH CONNECTION LIMIT 0", "ALTER DATABASE b SET TABLESPACE t",
		"ALTER DATABASE b REFRESH COLLATION VERSION", "alter database /* c */ b set statement_timeout = 1",
		"ALTER ROLE r NOLOGIN", "ALTER USER r PASSWORD 'x'", "ALTER ROLE r RENAME TO s", "ALTER ROLE r SET search_path = evil",
		"ALTER ROLE r IN DATABASE b SET search_path = evil", "ALTER ROLE ALL SET search_path = evil", "ALTER ROLE r RESET ALL",
		"ALTER USER r CONNECTION LIMIT 0", "ALTER ROLE r VALID UNTIL '2000-01-01'", "ALTER GROUP g ADD USER r",
		"ALTER ROLE CURRENT_USER SET search_path = evil", "ALTER USER r SET default_transaction_read_only = on",
		"DROP ROLE r", "DROP USER IF EXISTS r", "DROP GROUP g", "GRANT g TO r", "REVOKE g FROM r", "GRANT pg_read_all_data TO r",
		"CREATE ROLE x IN ROLE r", "CREATE ROLE x ROLE r", "CREATE ROLE x ADMIN r", "CREATE USER x IN GROUP g",
		"CREATE ROLE x", "CREATE USER x SUPERUSER PASSWORD 'p'", "create group g", "CREATE DATABASE c TEMPLATE b",
		`CREATE DATABASE c WITH TEMPLATE = "b" OWNER x`, "CREATE DATABASE c TEMPLATE = DEFAULT",
		"REASSIGN OWNED BY r TO x", "DROP OWNED BY r", "DROP OWNED BY r CASCADE",
		"REVOKE CONNECT ON DATABASE b FROM PUBLIC", "GRANT ALL ON DATABASE b TO x", "REVOKE TEMP ON DATABASE b FROM r",
		"GRANT SET ON PARAMETER search_path TO r",
	}
	ordinary := []string{
		"CREATE TABLE t (a int)", "DROP TABLE t", "ALTER TABLE t ADD COLUMN b int", "CREATE SCHEMA s", "DROP SCHEMA s CASCADE",
		"ALTER TABLE t OWNER TO r", "GRANT SELECT ON t TO r", "CREATE DATABASE x", "CREATE DATABASE x TEMPLATE template0",
		"CREATE DATABASE x TEMPLATE = template1 ENCODING 'UTF8'",
		"SET ROLE r", "SET search_path = s", "COMMENT ON TABLE t IS 'x'", "SELECT 1", "INSERT INTO t VALUES (1)",
	}
	for _, s := range cluster {
		cl, err := ParserClassifier{}.Classify(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if cl.Statements[0].ClusterChange == "" {
			t.Errorf("no cluster change: %s", s)
		}
	}
	for _, s := range ordinary {
		cl, err := ParserClassifier{}.Classify(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if c := cl.Statements[0].ClusterChange; c != "" {
			t.Errorf("cluster change %q: %s", c, s)
		}
	}
	for _, s := range []string{"CREATE EXTENSION x CASCADE", "create extension if not exists x with schema s cascade", `CREATE EXTENSION "x" VERSION '1' CASCADE`} {
		cl, err := ParserClassifier{}.Classify(s)
		if err != nil || cl.Statements[0].ServerReach == "" {
			t.Errorf("CASCADE without reach: %s %v", s, err)
		}
	}
	for _, s := range []string{"REVOKE USAGE ON SCHEMA s FROM r", "GRANT CREATE ON SCHEMA s TO r", `REVOKE ALL ON SCHEMA "s" FROM PUBLIC`} {
		m, err := MentionsOf(s)
		if err != nil || len(m.Schemas) != 1 || m.Schemas[0] != "s" {
			t.Errorf("%s: schemas %v %v", s, m, err)
		}
	}
}
