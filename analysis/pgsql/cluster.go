package pgsql

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// clusterChange returns what a statement changes of the server's shared
// objects — a database or a role, which every database on the server
// sees — or "": DROP DATABASE; ALTER DATABASE in any form (RENAME, OWNER,
// SET or RESET, CONNECTION LIMIT, ALLOW_CONNECTIONS, IS_TEMPLATE,
// TABLESPACE, REFRESH COLLATION VERSION); GRANT or REVOKE on a database
// or a server parameter; ALTER ROLE in any form (options, RENAME, SET or
// RESET, IN DATABASE), DROP ROLE, GRANT or REVOKE of a role's
// membership, CREATE ROLE in any form (a new way into the server past a
// gateway, a membership of another role); REASSIGN OWNED and DROP OWNED
// (they act on a role's objects, a database's ownership among them);
// CREATE DATABASE from a template other than template0 or template1 (a
// copy of another database's rows). Any of them may take a database or
// role another client of the server relies on away from it, or its rows
// out of it, however the statement is connected.
func clusterChange(n *pg_query.Node) string {
	switch s := n.Node.(type) {
	case *pg_query.Node_DropdbStmt:
		return "DROP DATABASE"
	case *pg_query.Node_AlterDatabaseStmt, *pg_query.Node_AlterDatabaseRefreshCollStmt:
		return "ALTER DATABASE"
	case *pg_query.Node_AlterDatabaseSetStmt:
		return "ALTER DATABASE ... SET"
	case *pg_query.Node_AlterRoleStmt:
		return "ALTER ROLE"
	case *pg_query.Node_AlterRoleSetStmt:
		return "ALTER ROLE ... SET"
	case *pg_query.Node_DropRoleStmt:
		return "DROP ROLE"
	case *pg_query.Node_GrantRoleStmt:
		if s.GrantRoleStmt.IsGrant {
			return "GRANT of a role's membership"
		}
		return "REVOKE of a role's membership"
	case *pg_query.Node_CreateRoleStmt:
		return "CREATE ROLE"
	case *pg_query.Node_CreatedbStmt:
		for _, o := range s.CreatedbStmt.Options {
			if d := o.GetDefElem(); d != nil && strings.EqualFold(d.Defname, "template") {
				if t := d.Arg.GetString_(); t == nil || (t.Sval != "template0" && t.Sval != "template1") {
					return "CREATE DATABASE copying another database"
				}
			}
		}
	case *pg_query.Node_ReassignOwnedStmt:
		return "REASSIGN OWNED"
	case *pg_query.Node_DropOwnedStmt:
		return "DROP OWNED"
	case *pg_query.Node_RenameStmt:
		switch s.RenameStmt.RenameType {
		case pg_query.ObjectType_OBJECT_DATABASE:
			return "ALTER DATABASE ... RENAME"
		case pg_query.ObjectType_OBJECT_ROLE:
			return "ALTER ROLE ... RENAME"
		}
	case *pg_query.Node_AlterOwnerStmt:
		if s.AlterOwnerStmt.ObjectType == pg_query.ObjectType_OBJECT_DATABASE {
			return "ALTER DATABASE ... OWNER"
		}
	case *pg_query.Node_GrantStmt:
		switch s.GrantStmt.Objtype {
		case pg_query.ObjectType_OBJECT_DATABASE:
			return "GRANT or REVOKE on a database"
		case pg_query.ObjectType_OBJECT_PARAMETER_ACL:
			return "GRANT or REVOKE on a server parameter"
		}
	}
	return ""
}

// extensionCascade reports whether CREATE EXTENSION installs the
// extensions it requires (CASCADE): which those are is in the server's
// control files, out of the statement's sight, and one may reach past
// the database (dblink, an untrusted language).
func extensionCascade(s *pg_query.CreateExtensionStmt) bool {
	return hasOption(s.Options, "cascade")
}
