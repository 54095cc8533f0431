package pgsql

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Mentions is everything a statement names, for a guard that keeps some
// relations out of a client's reach whatever the statement does with
// them: Tables lists the relations a statement reads or writes, but a
// name also reaches a relation as a rename's new name (ALTER TABLE t
// RENAME TO x), a comment's or a policy's object, a foreign key's target
// or an inheritance parent.
type Mentions struct {
	// Names holds every identifier of the parse tree as the server reads
	// it (folded, unquoted, U&"..." decoded): relation, schema, column,
	// function, type, constraint, role and option names, new names of
	// renames. Constants ('text') are left out: only a function turns
	// them into names, and a function that may write is judged by
	// Statement.CallsWrite.
	Names []string
	// Schemas are the schemas the statement acts on as a whole: DROP
	// SCHEMA, ALTER SCHEMA ... RENAME or OWNER, GRANT/REVOKE ... ON ALL
	// ... IN SCHEMA, GRANT/REVOKE ... ON SCHEMA (a store that loses USAGE
	// or CREATE there stops).
	Schemas []string
	// Global is set for statements that act on objects they do not name
	// or on other sessions: DROP OWNED, REASSIGN OWNED, ALTER ROLE or
	// DATABASE ... SET/RESET, ALTER SYSTEM, ALTER DEFAULT PRIVILEGES,
	// CREATE or ALTER SUBSCRIPTION (replication writes tables by their
	// publisher's names), IMPORT FOREIGN SCHEMA, ALTER ... ALL IN
	// TABLESPACE, VACUUM FULL and CLUSTER of every table.
	Global bool

	seen map[string]bool
}

// MentionsOf parses sql and returns what its statements name. A text that
// does not parse, or a tree too deep to walk, is an error.
func MentionsOf(sql string) (*Mentions, error) {
	if err := checkSize(sql); err != nil {
		return nil, err
	}
	defer parseBudget.take(len(sql))() // held while the tree is walked
	tree, err := parseTaken(sql)
	if err != nil {
		return nil, unparsable(err)
	}
	m := &Mentions{}
	for _, raw := range tree.Stmts {
		if raw.Stmt == nil {
			continue
		}
		if !m.walk(raw.Stmt.ProtoReflect(), 0) {
			return nil, fmt.Errorf("%w: statement nested too deeply", ErrUnparsable)
		}
	}
	return m, nil
}

// walk adds what msg names; it returns false past maxDepth.
func (m *Mentions) walk(msg protoreflect.Message, depth int) bool {
	if !msg.IsValid() {
		return true
	}
	if depth > maxDepth {
		return false
	}
	if _, ok := msg.Interface().(*pg_query.A_Const); ok {
		return true
	}
	m.special(msg.Interface())
	fds := msg.Descriptor().Fields()
	for i := 0; i < fds.Len(); i++ {
		fd := fds.Get(i)
		if fd.IsMap() || !msg.Has(fd) {
			continue
		}
		v := msg.Get(fd)
		switch fd.Kind() {
		case protoreflect.StringKind:
			if fd.IsList() {
				l := v.List()
				for j := 0; j < l.Len(); j++ {
					m.add(l.Get(j).String())
				}
			} else {
				m.add(v.String())
			}
		case protoreflect.MessageKind:
			if fd.IsList() {
				l := v.List()
				for j := 0; j < l.Len(); j++ {
					if !m.walk(l.Get(j).Message(), depth+1) {
						return false
					}
				}
			} else if !m.walk(v.Message(), depth+1) {
				return false
			}
		}
	}
	return true
}

func (m *Mentions) add(s string) {
	if s != "" && !m.seen[s] {
		if m.seen == nil {
			m.seen = map[string]bool{}
		}
		m.seen[s] = true
		m.Names = append(m.Names, s)
	}
}

// special notes the statements that act on schemas as a whole or on
// objects they do not name.
func (m *Mentions) special(x any) {
	switch s := x.(type) {
	case *pg_query.DropStmt:
		if s.RemoveType == pg_query.ObjectType_OBJECT_SCHEMA {
			m.schemas(s.Objects)
		}
	case *pg_query.RenameStmt:
		if s.RenameType == pg_query.ObjectType_OBJECT_SCHEMA && s.Subname != "" {
			m.Schemas = appendUnique(m.Schemas, s.Subname)
		}
	case *pg_query.AlterOwnerStmt:
		if s.ObjectType == pg_query.ObjectType_OBJECT_SCHEMA && s.Object != nil {
			m.schemas([]*pg_query.Node{s.Object})
		}
	case *pg_query.GrantStmt:
		if s.Targtype == pg_query.GrantTargetType_ACL_TARGET_ALL_IN_SCHEMA || s.Objtype == pg_query.ObjectType_OBJECT_SCHEMA {
			m.schemas(s.Objects)
		}
	case *pg_query.DropOwnedStmt, *pg_query.ReassignOwnedStmt, *pg_query.AlterRoleSetStmt,
		*pg_query.AlterDatabaseSetStmt, *pg_query.AlterSystemStmt, *pg_query.AlterDefaultPrivilegesStmt,
		*pg_query.CreateSubscriptionStmt, *pg_query.AlterSubscriptionStmt, *pg_query.ImportForeignSchemaStmt,
		*pg_query.AlterTableMoveAllStmt:
		m.Global = true
	case *pg_query.VacuumStmt:
		// VACUUM FULL or CLUSTER of every table rewrites them all.
		if len(s.Rels) == 0 && hasOption(s.Options, "full") {
			m.Global = true
		}
	case *pg_query.ClusterStmt:
		if s.Relation == nil {
			m.Global = true
		}
	}
}

func (m *Mentions) schemas(nodes []*pg_query.Node) {
	for _, n := range nodes {
		if s := n.GetString_(); s != nil && s.Sval != "" {
			m.Schemas = appendUnique(m.Schemas, s.Sval)
		}
	}
}

// hasOption reports whether a DefElem list holds name (VACUUM (FULL)).
func hasOption(opts []*pg_query.Node, name string) bool {
	for _, o := range opts {
		if d := o.GetDefElem(); d != nil && strings.EqualFold(d.Defname, name) {
			return true
		}
	}
	return false
}
