package postgres

import (
	"strings"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
)

// Server-side reach. A statement may make the database server itself
// reach past the database the gateway serves: open a connection to
// another database (dblink, postgres_fdw, a subscription), run a server
// program or read or write a server file (COPY ... PROGRAM, COPY to or
// from a file, lo_import, lo_export, adminpack's pg_file_write), or load
// code that may do any of it (LOAD, a function in C or an untrusted
// language, ALTER SYSTEM). What such a reach does is out of the
// gateway's sight: a connection from the server to the database that
// holds the gateway's own tables writes them with nothing to judge, and
// no rule sees the SQL it sends. So, unless Config.AllowServerReach is
// set, the gateway refuses, as "postgres/reach" and whatever the rules
// say:
//
//   - every statement that itself reaches (pgsql.Statement.ServerReach:
//     CREATE EXTENSION dblink, CREATE SERVER, CREATE FOREIGN TABLE, COPY
//     ... PROGRAM, a call of dblink_exec or lo_export, in any spelling);
//   - in a database where code the gateway cannot see may reach
//     (reachQuery: a reach extension, a foreign-data wrapper or an
//     untrusted language is installed there, or the gateway's database
//     role is a superuser or may run server programs or write server
//     files, and so may install one inside a DO block), every statement
//     that runs code the gateway cannot see: DO, CALL, CREATE FUNCTION,
//     TRIGGER or RULE, and, where a reach is installed, a call of a
//     function that may write, a read of a foreign table, a write to a
//     table with triggers or rules (the self guard's judgement, see
//     selfGuard, applied to the code rather than to the gateway's
//     tables). With only the role able to reach, code already in the
//     database is the operator's (the gateway refuses making any), so
//     calls of it pass.
//
// An operator who runs the gateway as a role that is not a superuser (as
// it should) in a database without those extensions keeps DO blocks,
// procedures, functions and triggers; one who needs the server to reach
// out sets Config.AllowServerReach and owns what it does.

// reachQuery lists, one row each, why code the gateway cannot see may
// reach past the database ($3 is false when the integrator allowed it):
// "code" when code already in the database may (a reach extension, a
// wrapper, an untrusted language), "role" when only code a statement
// carries may (the gateway's role could install one: a DO block, CREATE
// FUNCTION, CALL).
var reachQuery = func() string {
	exts := pgsql.ReachExtensions()
	for i, e := range exts {
		exts[i] = "'" + e + "'"
	}
	return `SELECT 'role', 'the gateway''s database role is a superuser or may become one' WHERE $3::bool AND EXISTS (
		SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolsuper AND pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'))
	UNION ALL SELECT 'role', 'the gateway''s database role may run server programs or write server files' WHERE $3::bool AND (
		pg_catalog.pg_has_role(current_user, 'pg_execute_server_program', 'MEMBER')
		OR pg_catalog.pg_has_role(current_user, 'pg_write_server_files', 'MEMBER'))
	UNION ALL SELECT 'code', 'extension ' || e.extname || ' is installed' FROM pg_catalog.pg_extension e
		WHERE $3::bool AND e.extname IN (` + strings.Join(exts, ", ") + `)
	UNION ALL SELECT 'code', 'foreign-data wrapper ' || w.fdwname || ' is installed' FROM pg_catalog.pg_foreign_data_wrapper w
		WHERE $3::bool
	UNION ALL SELECT 'code', 'the untrusted language ' || l.lanname || ' is installed' FROM pg_catalog.pg_language l
		WHERE $3::bool AND NOT l.lanpltrusted AND l.lanname NOT IN ('c', 'internal')
	UNION ALL SELECT 'code', 'function ' || p.proname || ' runs code of ' || p.probin FROM pg_catalog.pg_proc p
		WHERE $3::bool AND p.probin ~ '(dblink|postgres_fdw|file_fdw|adminpack)'`
}()

// judgeReach returns why a statement reaches past the database, or "".
func judgeReach(stmts []pgsql.Statement) string {
	for i := range stmts {
		if r := stmts[i].ServerReach; r != "" {
			return "the statement reaches past the database (" + r + "): the gateway cannot see what the server does there; " +
				"server-side reach is refused unless the gateway is configured to allow it"
		}
	}
	return ""
}
