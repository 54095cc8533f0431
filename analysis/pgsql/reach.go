package pgsql

import (
	"sort"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// reachExtensions are the extensions whose code reaches past the
// database the statement runs in: another database or server (dblink,
// postgres_fdw), server files or programs (file_fdw, adminpack), or any
// of these through an untrusted procedural language.
var reachExtensions = map[string]bool{
	"dblink": true, "postgres_fdw": true, "file_fdw": true, "adminpack": true,
	"plpython3u": true, "plpythonu": true, "plpython2u": true, "plperlu": true, "pltclu": true,
	"plpython3u_transform": true, "jsonb_plpython3u": true, "hstore_plpython3u": true, "ltree_plpython3u": true,
	"jsonb_plperlu": true, "hstore_plperlu": true, "bool_plperlu": true,
}

// ReachExtensions lists the extensions whose code reaches past the
// database (sorted); CREATE or ALTER EXTENSION of one has ServerReach.
func ReachExtensions() []string {
	out := make([]string, 0, len(reachExtensions))
	for n := range reachExtensions {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// trustedLanguages are the languages a function may be written in
// without reaching past the database: their code runs only SQL in it.
var trustedLanguages = map[string]bool{"sql": true, "plpgsql": true, "plperl": true, "pltcl": true}

// ReachFunction reports whether a function of this name (any schema,
// any case) reaches past the database: dblink's and postgres_fdw's
// functions, the server-side large-object file functions lo_import and
// lo_export, adminpack's file writes, and the server's file and directory
// readers (pg_read_file, pg_read_binary_file, pg_ls_*, pg_stat_file), as
// COPY from a server file does: a table's own file holds its rows, the
// server's log other sessions' statements.
func ReachFunction(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "lo_import", "lo_export", "pg_logdir_ls", "pg_stat_file":
		return true
	}
	for _, p := range []string{"dblink", "postgres_fdw", "pg_file_", "pg_read_file", "pg_read_binary_file", "pg_ls_"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// serverReach returns what a statement does that reaches past the
// database it runs in, or "": it opens a connection from the server
// (CREATE EXTENSION dblink or postgres_fdw, a foreign server, user
// mapping, foreign table or subscription, a call of a ReachFunction),
// runs a server program or touches a server file (COPY ... PROGRAM or to
// or from a file, LOAD, ALTER SYSTEM), or makes code of a language that
// may do any of it (C, internal, an untrusted language), or installs
// extensions it does not name (CREATE EXTENSION ... CASCADE: one may be
// dblink or an untrusted language).
func serverReach(n *pg_query.Node, calls []funcName) string {
	for _, f := range calls {
		if name, ok := calledName(f); ok && ReachFunction(name) {
			return "calls " + strings.ToLower(name)
		}
	}
	switch s := n.Node.(type) {
	case *pg_query.Node_CreateExtensionStmt:
		if reachExtensions[strings.ToLower(s.CreateExtensionStmt.Extname)] {
			return "CREATE EXTENSION " + s.CreateExtensionStmt.Extname
		}
		if extensionCascade(s.CreateExtensionStmt) {
			return "CREATE EXTENSION " + s.CreateExtensionStmt.Extname + " CASCADE installs extensions it does not name; create each one by name"
		}
	case *pg_query.Node_AlterExtensionStmt:
		if reachExtensions[strings.ToLower(s.AlterExtensionStmt.Extname)] {
			return "ALTER EXTENSION " + s.AlterExtensionStmt.Extname
		}
	case *pg_query.Node_AlterExtensionContentsStmt:
		if reachExtensions[strings.ToLower(s.AlterExtensionContentsStmt.Extname)] {
			return "ALTER EXTENSION " + s.AlterExtensionContentsStmt.Extname
		}
	case *pg_query.Node_CreateFdwStmt, *pg_query.Node_AlterFdwStmt:
		return "makes a foreign-data wrapper"
	case *pg_query.Node_CreateForeignServerStmt, *pg_query.Node_AlterForeignServerStmt:
		return "makes a foreign server"
	case *pg_query.Node_CreateUserMappingStmt, *pg_query.Node_AlterUserMappingStmt:
		return "makes a user mapping"
	case *pg_query.Node_CreateForeignTableStmt, *pg_query.Node_ImportForeignSchemaStmt:
		return "makes a foreign table"
	case *pg_query.Node_CreateSubscriptionStmt, *pg_query.Node_AlterSubscriptionStmt:
		return "makes a subscription"
	case *pg_query.Node_AlterTableStmt:
		if s.AlterTableStmt.Objtype == pg_query.ObjectType_OBJECT_FOREIGN_TABLE {
			return "alters a foreign table"
		}
	case *pg_query.Node_CopyStmt:
		if s.CopyStmt.IsProgram {
			return "COPY runs a server program"
		}
		if s.CopyStmt.Filename != "" {
			return "COPY reads or writes a server file"
		}
	case *pg_query.Node_LoadStmt:
		return "LOAD loads server code"
	case *pg_query.Node_AlterSystemStmt:
		return "ALTER SYSTEM changes the server's configuration"
	case *pg_query.Node_CreatePlangStmt:
		return "CREATE LANGUAGE"
	case *pg_query.Node_CreateFunctionStmt:
		cf := s.CreateFunctionStmt
		if reachName(cf.Funcname) {
			return "replaces a function that reaches past the database"
		}
		if l := functionLanguage(cf); !trustedLanguages[l] {
			return "makes a function in language " + l
		}
	case *pg_query.Node_AlterFunctionStmt:
		if f := s.AlterFunctionStmt.Func; f != nil && reachName(f.Objname) {
			return "alters a function that reaches past the database"
		}
	case *pg_query.Node_RenameStmt:
		if reachObject(s.RenameStmt.Object) {
			return "renames an object that reaches past the database"
		}
	case *pg_query.Node_AlterObjectSchemaStmt:
		if reachObject(s.AlterObjectSchemaStmt.Object) {
			return "moves a function that reaches past the database"
		}
	case *pg_query.Node_AlterOwnerStmt:
		if reachObject(s.AlterOwnerStmt.Object) {
			return "gives away a function that reaches past the database"
		}
	}
	return ""
}

// functionLanguage is the language CREATE FUNCTION names (lower case;
// "sql" when it names none), "c" for the AS 'file', 'symbol' form.
func functionLanguage(cf *pg_query.CreateFunctionStmt) string {
	lang := "sql"
	for _, o := range cf.Options {
		d := o.GetDefElem()
		if d == nil {
			continue
		}
		switch strings.ToLower(d.Defname) {
		case "language":
			if v := d.Arg.GetString_(); v != nil {
				lang = strings.ToLower(v.Sval)
			} else {
				return "?"
			}
		case "as":
			if l := d.Arg.GetList(); l != nil && len(l.Items) > 1 {
				return "c"
			}
		}
	}
	return lang
}

// reachName reports whether a function's name parts end in a
// ReachFunction's name.
func reachName(parts []*pg_query.Node) bool {
	names := stringParts(parts)
	return len(names) > 0 && ReachFunction(names[len(names)-1])
}

// reachObject reports whether an object node names a ReachFunction.
func reachObject(o *pg_query.Node) bool {
	if o == nil {
		return false
	}
	if f := o.GetObjectWithArgs(); f != nil {
		return reachName(f.Objname)
	}
	return false
}
