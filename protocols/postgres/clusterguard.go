package postgres

import (
	"github.com/airlock-sdk/airlock/analysis/pgsql"
)

// Cluster changes. Databases and roles are the server's, not one
// database's: the gateway may serve database A while Airlock's stores
// (approval/pgapproval, gate/pgrules, gate/pgruns, record/pgsink) live in
// database B of the same server, as a role of their own. A statement
// connected to A can still drop or rename B, take its connections away
// (CONNECTION LIMIT 0, ALLOW_CONNECTIONS false, REVOKE CONNECT), give it
// away (OWNER, REASSIGN OWNED), or change the stores' role (NOLOGIN, a
// new password, DROP ROLE, a membership, ALTER ROLE ... SET search_path
// or default_transaction_read_only) — and change what the stores read or
// whether they run, with no store table named. The gateway does not know
// which database and role the stores use (they may be another server's,
// or none), so, unless Config.AllowClusterChanges is set, it refuses as
// "postgres/cluster", whatever the rules say:
//
//   - every statement that changes a database or a role
//     (pgsql.Statement.ClusterChange: DROP DATABASE, ALTER DATABASE in any
//     form, GRANT or REVOKE on a database or a server parameter, ALTER
//     ROLE in any form, DROP ROLE, GRANT or REVOKE of a role, CREATE ROLE
//     (a login role is a way into the server past the gateway), CREATE
//     DATABASE ... TEMPLATE of another database (a copy of its rows),
//     REASSIGN OWNED, DROP OWNED), in any spelling;
//   - where the gateway's database role may change other databases or
//     roles (clusterQuery: it is or may become a superuser, has
//     CREATEROLE, or owns a database other than the one it serves),
//     every statement that runs code the gateway cannot see (DO, CALL,
//     CREATE FUNCTION, TRIGGER or RULE: the code may issue them unseen).
//
// CREATE DATABASE (from template0 or template1) and DDL on the served
// database's own objects are not cluster changes. A gateway role
// that is not a superuser, has no CREATEROLE and owns no other database
// keeps its DO blocks and functions; such a role can still change its
// own settings (ALTER ROLE CURRENT_USER SET) from inside them, which is
// why the gateway's role must not be the stores' role.

// clusterQuery lists, one row each, why code the gateway cannot see may
// change another database or a role ($4 is false when the integrator
// allowed cluster changes).
const clusterQuery = `SELECT 'the gateway''s database role is a superuser or may become one' WHERE $4::bool AND EXISTS (
		SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolsuper AND pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'))
	UNION ALL SELECT 'the gateway''s database role may create and alter roles (CREATEROLE)' WHERE $4::bool AND EXISTS (
		SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolcreaterole AND pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'))
	UNION ALL SELECT 'the gateway''s database role owns database ' || d.datname FROM pg_catalog.pg_database d
		WHERE $4::bool AND d.datname <> pg_catalog.current_database() AND pg_catalog.pg_has_role(current_user, d.datdba, 'MEMBER')`

// judgeCluster returns why a statement changes a database or a role, or "".
func judgeCluster(stmts []pgsql.Statement) string {
	for i := range stmts {
		if c := stmts[i].ClusterChange; c != "" {
			return "the statement changes a database or role of the server (" + c + "), which may be the one the gateway keeps its own state in; " +
				"database and role changes are refused unless the gateway is configured to allow them"
		}
	}
	return ""
}
