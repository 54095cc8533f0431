package postgres

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// resolveColumns names the masking field of every column of r: the
// catalog's "table.column" for a plain column; for a computed column
// (substr(card, 1, 8), card || ”), the masked source column it is computed
// from, so masking follows the data through expressions.
func (c *conn) resolveColumns(r *result) error {
	r.resolved = true
	r.cols = make([]string, len(r.fields))
	for i, f := range r.fields {
		name := ""
		if f.TableOID != 0 && f.TableAttributeNumber > 0 {
			n, err := c.srv.catalog.column(c.ctx, f.TableOID, f.TableAttributeNumber)
			if err != nil {
				return err
			}
			name = n
		}
		if name != "" && r.policy.FieldStrategy(name) != "" {
			r.cols[i] = name
			continue
		}
		src, err := c.lineageField(r, i)
		if err != nil {
			return err
		}
		switch {
		case src != "":
			r.cols[i] = src
		case name != "":
			r.cols[i] = name
		default:
			r.cols[i] = string(f.Name)
		}
	}
	return nil
}

// lineageField returns the first masked source column of output column i,
// or "".
func (c *conn) lineageField(r *result, i int) (string, error) {
	st := r.stmt
	if st == nil || len(st.Outputs) == 0 {
		return "", nil
	}
	var ls []Lineage
	switch {
	case !st.Star && len(st.Outputs) == len(r.fields):
		ls = st.Outputs[i : i+1]
	case r.fields[i].TableOID == 0:
		// Positions are unknown: any source of any output counts.
		ls = st.Outputs
	default:
		return "", nil
	}
	p := r.policy
	try := func(cand string) bool { return p.FieldStrategy(cand) != "" }
	for _, l := range ls {
		for _, col := range l.Columns {
			if q, name, ok := strings.Cut(col, "."); ok {
				if t, ok := st.Aliases[q]; ok && try(t+"."+name) {
					return t + "." + name, nil
				}
				if try(col) {
					return col, nil
				}
				continue
			}
			for _, t := range st.Tables {
				if try(t.Name + "." + col) {
					return t.Name + "." + col, nil
				}
			}
			if try(col) {
				return col, nil
			}
		}
		for _, row := range l.Rows {
			var tables []string
			if row == "*" {
				for _, t := range st.Tables {
					tables = append(tables, t.Name)
				}
			} else if t, ok := st.Aliases[row]; ok {
				tables = []string{t}
			}
			for _, t := range tables {
				cols, err := c.srv.catalog.tableColumns(c.ctx, t)
				if err != nil {
					return "", err
				}
				for _, col := range cols {
					if try(t + "." + col) {
						return t + "." + col, nil
					}
				}
			}
		}
	}
	return "", nil
}

// StatementLineage is the column lineage of a statement's result, embedded
// in Statement.
type StatementLineage struct {
	// Outputs is the column lineage of the result: for each output
	// expression, the columns it is computed from. Nil when the statement
	// returns no rows or its shape is unknown.
	Outputs []Lineage
	// Star is true when an output list holds * (positions are then unknown).
	Star bool
	// Aliases maps every name a table is known by in the statement (alias
	// or name) to the table name.
	Aliases map[string]string
}

// Lineage lists the source columns of one output column.
type Lineage struct {
	// Columns as written: "card" or "c.card".
	Columns []string
	// Rows names tables used as a whole row (c.*, row_to_json(c)).
	Rows []string
}

// statementLineage returns the lineage of the rows statement n returns.
func statementLineage(n *pg_query.Node, aliases map[string]string) StatementLineage {
	l := StatementLineage{Aliases: aliases}
	switch s := n.Node.(type) {
	case *pg_query.Node_SelectStmt:
		if s.SelectStmt.IntoClause == nil {
			l.Outputs, l.Star = selectLineage(s.SelectStmt)
		}
	case *pg_query.Node_InsertStmt:
		l.Outputs, l.Star = targetLineage(s.InsertStmt.ReturningList)
	case *pg_query.Node_UpdateStmt:
		l.Outputs, l.Star = targetLineage(s.UpdateStmt.ReturningList)
	case *pg_query.Node_DeleteStmt:
		l.Outputs, l.Star = targetLineage(s.DeleteStmt.ReturningList)
	case *pg_query.Node_MergeStmt:
		l.Outputs, l.Star = targetLineage(s.MergeStmt.ReturningList)
	}
	return l
}

// selectLineage returns the lineage of a SELECT's output columns; set
// operations merge their arms by position.
func selectLineage(s *pg_query.SelectStmt) ([]Lineage, bool) {
	if s == nil {
		return nil, false
	}
	if s.Op != pg_query.SetOperation_SETOP_NONE {
		l, ls := selectLineage(s.Larg)
		r, rs := selectLineage(s.Rarg)
		for i := range l {
			if i < len(r) {
				l[i].Columns = append(l[i].Columns, r[i].Columns...)
				l[i].Rows = append(l[i].Rows, r[i].Rows...)
			}
		}
		return l, ls || rs || len(l) != len(r)
	}
	if len(s.ValuesLists) > 0 {
		return nil, false
	}
	return targetLineage(s.TargetList)
}

func targetLineage(targets []*pg_query.Node) ([]Lineage, bool) {
	if len(targets) == 0 {
		return nil, false
	}
	out := make([]Lineage, 0, len(targets))
	star := false
	for _, t := range targets {
		rt := t.GetResTarget()
		if rt == nil {
			out = append(out, Lineage{})
			continue
		}
		var l Lineage
		collectRefs(rt.Val.ProtoReflect(), &l, &star, 0)
		if cr := rt.Val.GetColumnRef(); cr != nil && isStarRef(cr) {
			star = true
		}
		out = append(out, l)
	}
	return out, star
}

func isStarRef(cr *pg_query.ColumnRef) bool {
	for _, f := range cr.Fields {
		if f.GetAStar() != nil {
			return true
		}
	}
	return false
}

// collectRefs gathers the column references inside an output expression,
// including those in sub-queries (over-approximation is fail-closed).
func collectRefs(m protoreflect.Message, l *Lineage, star *bool, depth int) {
	if !m.IsValid() || depth > maxDepth {
		return
	}
	if cr, ok := m.Interface().(*pg_query.ColumnRef); ok {
		parts := stringParts(cr.Fields)
		switch {
		case isStarRef(cr):
			if len(parts) > 0 {
				l.Rows = appendUnique(l.Rows, parts[len(parts)-1])
			} else {
				l.Rows = appendUnique(l.Rows, "*")
			}
		case len(parts) == 1:
			// Could be a column or a whole-row reference to a table alias.
			l.Columns = appendUnique(l.Columns, parts[0])
			l.Rows = appendUnique(l.Rows, parts[0])
		case len(parts) >= 2:
			l.Columns = appendUnique(l.Columns, parts[len(parts)-2]+"."+parts[len(parts)-1])
		}
		return
	}
	eachMessage(m, func(c protoreflect.Message) { collectRefs(c, l, star, depth+1) })
}
