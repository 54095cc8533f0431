package pgsql

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// StatementLineage is what a proxy needs to follow the data of a
// statement to its result columns, embedded in Statement. It is built from
// the parse tree without the catalog (views, functions and table columns
// are resolved when the statement runs, see Resolver) and holds
// no literal, so a cached classification of a sibling statement serves.
type StatementLineage struct {
	plan *qQuery
}

// HasLineage reports whether the statement carries a lineage plan (a
// Statement of ParserClassifier does; one of another Classifier, or a
// Nested repetition, may not): without one, its lineage is Unknown.
func (l *StatementLineage) HasLineage() bool { return l.plan != nil }

// qKind is what a statement's plan stands for.
type qKind uint8

const (
	qOpaque  qKind = iota // anything not modelled: rows and data unknown
	qSelect               // SELECT ... FROM ... (one level)
	qSetOp                // UNION / INTERSECT / EXCEPT
	qValues               // VALUES
	qDML                  // INSERT / UPDATE / DELETE / MERGE (RETURNING)
	qNoRows               // returns no rows; inner (if any) is evaluated
	qNoData               // returns rows that carry no table data (EXPLAIN, SHOW)
	qFetch                // FETCH from a cursor declared earlier
	qExecute              // SQL-level EXECUTE of a prepared statement
	qNothing              // transaction control, SET, LISTEN...: nothing evaluated
)

// qQuery is the literal-free shape of one query level: what lineage needs
// from the parse tree and nothing else.
type qQuery struct {
	kind      qKind
	recursive bool
	with      []*qCTE
	from      []*qFrom
	targets   []qTarget
	filters   []qExpr // WHERE, HAVING, WINDOW, LIMIT, join conditions of DML
	orderish  []qExpr // ORDER BY, GROUP BY, DISTINCT ON: may name outputs
	values    [][]qExpr
	larg      *qQuery
	rarg      *qQuery
	// compares is set for a set operation that compares rows (INTERSECT,
	// EXCEPT, UNION without ALL): its outputs act as a filter.
	compares bool
	// DML: the written relation, every value assigned to it, the rows
	// inserted, the RETURNING list.
	target    *qFrom
	assigned  []qExpr
	source    *qQuery
	returning []qTarget
	// inner is the query an EXPLAIN, DECLARE, PREPARE, COPY or CREATE
	// TABLE AS evaluates; name is the cursor or prepared statement.
	inner   *qQuery
	name    string
	declare bool
	prepare bool
}

// qCTE is one WITH item.
type qCTE struct {
	name string
	cols []string
	q    *qQuery
}

type fromKind uint8

const (
	fromUnknown fromKind = iota
	fromRel
	fromSub
	fromFunc
	fromJoin
)

// qFrom is one FROM item.
type qFrom struct {
	kind       fromKind
	schema     string
	name       string
	alias      string
	colAliases []string
	lateral    bool
	sub        *qQuery
	fn         qExpr // function calls and their arguments
	fnName     string
	left       *qFrom
	right      *qFrom
	using      []string
	natural    bool
	quals      qExpr
	// rows decides how many rows the item yields beyond its relation or
	// function (TABLESAMPLE arguments, the inputs of a FROM form not
	// modelled): it counts as a filter.
	rows qExpr
}

// qTarget is one output expression, or a star. plain marks a bare column
// reference (passed through, not computed on).
type qTarget struct {
	name  string
	expr  qExpr
	star  *colRef
	plain bool
}

// qExpr is everything an expression depends on: lineage treats an
// expression as the union of its inputs, which over-approximates what any
// function or operator can do with them (fail closed).
type qExpr struct {
	refs  []colRef
	funcs []string
	ops   []string
	casts []string // the types of explicit casts (last name part)
	subs  []*qQuery
	// intPos marks a bare integer in ORDER BY / GROUP BY: a position in
	// the output list (which one is a literal, so any of them).
	intPos bool
}

// colRef is a column reference as written: ["c", "name"], ["name"], or a
// star (["c"] with star set for c.*, nil for *).
type colRef struct {
	parts []string
	star  bool
}

// bareRef reports whether e is one column reference and nothing else.
func (e *qExpr) bareRef() bool {
	return len(e.refs) == 1 && !e.refs[0].star && len(e.funcs) == 0 && len(e.ops) == 0 && len(e.casts) == 0 && len(e.subs) == 0
}

func (e *qExpr) empty() bool {
	return len(e.refs) == 0 && len(e.funcs) == 0 && len(e.ops) == 0 && len(e.casts) == 0 && len(e.subs) == 0 && !e.intPos
}

// statementLineage builds the lineage plan of one parsed statement.
func statementLineage(n *pg_query.Node) StatementLineage {
	return StatementLineage{plan: buildStatement(n, 0)}
}

// maxPlanDepth bounds the nesting the builder follows; deeper trees are
// opaque (fail closed).
const maxPlanDepth = 200

func buildStatement(n *pg_query.Node, depth int) *qQuery {
	if n == nil || depth > maxPlanDepth {
		return &qQuery{kind: qOpaque}
	}
	switch s := n.Node.(type) {
	case *pg_query.Node_SelectStmt:
		q := buildSelect(s.SelectStmt, depth+1)
		if s.SelectStmt.IntoClause != nil {
			return &qQuery{kind: qNoRows, inner: q}
		}
		return q
	case *pg_query.Node_InsertStmt:
		x := s.InsertStmt
		q := buildDML(x.Relation, x.WithClause, x.ReturningList, depth)
		if x.SelectStmt != nil {
			q.source = buildStatement(x.SelectStmt, depth+1)
		}
		if oc := x.OnConflictClause; oc != nil {
			q.assigned = append(q.assigned, buildTargetValues(oc.TargetList, depth)...)
			q.filters = append(q.filters, buildExpr(oc.WhereClause, depth))
			if oc.Infer != nil {
				q.filters = append(q.filters, buildExpr(oc.Infer.WhereClause, depth))
			}
		}
		return q
	case *pg_query.Node_UpdateStmt:
		x := s.UpdateStmt
		q := buildDML(x.Relation, x.WithClause, x.ReturningList, depth)
		q.from = buildFromList(x.FromClause, depth)
		q.assigned = buildTargetValues(x.TargetList, depth)
		q.filters = append(q.filters, buildExpr(x.WhereClause, depth))
		return q
	case *pg_query.Node_DeleteStmt:
		x := s.DeleteStmt
		q := buildDML(x.Relation, x.WithClause, x.ReturningList, depth)
		q.from = buildFromList(x.UsingClause, depth)
		q.filters = append(q.filters, buildExpr(x.WhereClause, depth))
		return q
	case *pg_query.Node_MergeStmt:
		x := s.MergeStmt
		q := buildDML(x.Relation, x.WithClause, x.ReturningList, depth)
		if x.SourceRelation != nil {
			q.from = []*qFrom{buildFrom(x.SourceRelation, depth+1)}
		}
		q.filters = append(q.filters, buildExpr(x.JoinCondition, depth))
		for _, w := range x.MergeWhenClauses {
			if mw := w.GetMergeWhenClause(); mw != nil {
				q.filters = append(q.filters, buildExpr(mw.Condition, depth))
				q.assigned = append(q.assigned, buildTargetValues(mw.TargetList, depth)...)
				for _, v := range mw.Values {
					q.assigned = append(q.assigned, buildExpr(v, depth))
				}
			}
		}
		return q
	case *pg_query.Node_ExplainStmt:
		return &qQuery{kind: qNoData, inner: buildStatement(s.ExplainStmt.Query, depth+1)}
	case *pg_query.Node_DeclareCursorStmt:
		return &qQuery{kind: qNoRows, declare: true, name: s.DeclareCursorStmt.Portalname,
			inner: buildStatement(s.DeclareCursorStmt.Query, depth+1)}
	case *pg_query.Node_PrepareStmt:
		return &qQuery{kind: qNoRows, prepare: true, name: s.PrepareStmt.Name,
			inner: buildStatement(s.PrepareStmt.Query, depth+1)}
	case *pg_query.Node_FetchStmt:
		if s.FetchStmt.Ismove {
			return &qQuery{kind: qNothing}
		}
		return &qQuery{kind: qFetch, name: s.FetchStmt.Portalname}
	case *pg_query.Node_ExecuteStmt:
		q := &qQuery{kind: qExecute, name: s.ExecuteStmt.Name}
		for _, p := range s.ExecuteStmt.Params {
			q.filters = append(q.filters, buildExpr(p, depth))
		}
		return q
	case *pg_query.Node_CopyStmt:
		if s.CopyStmt.Query != nil {
			return &qQuery{kind: qNoRows, inner: buildStatement(s.CopyStmt.Query, depth+1)}
		}
		if !s.CopyStmt.IsFrom && s.CopyStmt.Relation != nil {
			// COPY t TO STDOUT: its rows are SELECT cols FROM ONLY t.
			return buildSelect(copySelect(s.CopyStmt), depth+1)
		}
		return &qQuery{kind: qOpaque}
	case *pg_query.Node_CreateTableAsStmt:
		return &qQuery{kind: qNoRows, inner: buildStatement(s.CreateTableAsStmt.Query, depth+1)}
	case *pg_query.Node_ViewStmt:
		return &qQuery{kind: qNoRows, inner: buildStatement(s.ViewStmt.Query, depth+1)}
	case *pg_query.Node_VariableShowStmt:
		return &qQuery{kind: qNoData}
	case *pg_query.Node_TransactionStmt, *pg_query.Node_VariableSetStmt, *pg_query.Node_DiscardStmt,
		*pg_query.Node_ListenStmt, *pg_query.Node_UnlistenStmt, *pg_query.Node_NotifyStmt,
		*pg_query.Node_DeallocateStmt, *pg_query.Node_ClosePortalStmt, *pg_query.Node_CheckPointStmt:
		return &qQuery{kind: qNothing}
	}
	return &qQuery{kind: qOpaque}
}

// copySelect is the query whose rows COPY table TO STDOUT sends: the
// columns it lists (every column without a list) of the table alone, so
// its columns follow the table's lineage as a SELECT's would: a child's
// to its ancestors', a generated column to what it computes on, and a
// relation that holds other relations' values (statistics, large
// objects, TOAST, temporary tables) to anything.
func copySelect(cs *pg_query.CopyStmt) *pg_query.SelectStmt {
	r := cs.Relation
	rv := &pg_query.RangeVar{Catalogname: r.Catalogname, Schemaname: r.Schemaname, Relname: r.Relname,
		Relpersistence: r.Relpersistence, Location: r.Location}
	sel := &pg_query.SelectStmt{Op: pg_query.SetOperation_SETOP_NONE, FromClause: []*pg_query.Node{{Node: &pg_query.Node_RangeVar{RangeVar: rv}}}}
	for _, a := range cs.Attlist {
		col := pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeStrNode(a.GetString_().GetSval())}, -1)
		sel.TargetList = append(sel.TargetList, pg_query.MakeResTargetNodeWithVal(col, -1))
	}
	if len(sel.TargetList) == 0 {
		star := pg_query.MakeColumnRefNode([]*pg_query.Node{pg_query.MakeAStarNode()}, -1)
		sel.TargetList = []*pg_query.Node{pg_query.MakeResTargetNodeWithVal(star, -1)}
	}
	return sel
}

func buildSelect(s *pg_query.SelectStmt, depth int) *qQuery {
	if s == nil || depth > maxPlanDepth {
		return &qQuery{kind: qOpaque}
	}
	q := &qQuery{}
	q.with, q.recursive = buildWith(s.WithClause, depth)
	for _, n := range s.SortClause {
		q.orderish = append(q.orderish, buildSortExpr(n, depth))
	}
	q.filters = append(q.filters, buildExpr(s.LimitCount, depth), buildExpr(s.LimitOffset, depth))
	if s.Op != pg_query.SetOperation_SETOP_NONE {
		q.kind = qSetOp
		q.compares = !(s.Op == pg_query.SetOperation_SETOP_UNION && s.All)
		q.larg = buildSelect(s.Larg, depth+1)
		q.rarg = buildSelect(s.Rarg, depth+1)
		return q
	}
	if len(s.ValuesLists) > 0 {
		q.kind = qValues
		for _, row := range s.ValuesLists {
			var r []qExpr
			if l := row.GetList(); l != nil {
				for _, v := range l.Items {
					r = append(r, buildExpr(v, depth))
				}
			}
			q.values = append(q.values, r)
		}
		return q
	}
	q.kind = qSelect
	q.from = buildFromList(s.FromClause, depth)
	q.targets = buildTargets(s.TargetList, depth)
	q.filters = append(q.filters, buildExpr(s.WhereClause, depth), buildExpr(s.HavingClause, depth))
	for _, w := range s.WindowClause {
		q.filters = append(q.filters, buildExpr(w, depth))
	}
	for _, n := range s.GroupClause {
		q.orderish = append(q.orderish, buildSortExpr(n, depth))
	}
	for _, n := range s.DistinctClause {
		if n != nil && n.Node != nil {
			q.orderish = append(q.orderish, buildSortExpr(n, depth))
			continue
		}
		// Plain DISTINCT: which rows come out depends on every output.
		q.orderish = append(q.orderish, qExpr{intPos: true})
	}
	return q
}

// buildSortExpr builds an ORDER BY / GROUP BY item; a bare integer is a
// position in the output list.
func buildSortExpr(n *pg_query.Node, depth int) qExpr {
	if sb := n.GetSortBy(); sb != nil {
		n = sb.Node
	}
	if c := n.GetAConst(); c != nil && c.GetIval() != nil {
		return qExpr{intPos: true}
	}
	return buildExpr(n, depth)
}

// buildDML starts the plan of a data-modifying statement on rel: its
// target, WITH clause and RETURNING list.
func buildDML(rel *pg_query.RangeVar, with *pg_query.WithClause, returning []*pg_query.Node, depth int) *qQuery {
	q := &qQuery{kind: qDML, target: buildRangeVar(rel)}
	q.with, q.recursive = buildWith(with, depth)
	q.returning = buildTargets(returning, depth)
	return q
}

func buildWith(w *pg_query.WithClause, depth int) ([]*qCTE, bool) {
	if w == nil {
		return nil, false
	}
	var out []*qCTE
	for _, n := range w.Ctes {
		c := n.GetCommonTableExpr()
		if c == nil {
			continue
		}
		out = append(out, &qCTE{name: c.Ctename, cols: stringParts(c.Aliascolnames), q: buildStatement(c.Ctequery, depth+1)})
	}
	return out, w.Recursive
}

func buildRangeVar(rv *pg_query.RangeVar) *qFrom {
	if rv == nil {
		return &qFrom{kind: fromUnknown}
	}
	f := &qFrom{kind: fromRel, schema: rv.Schemaname, name: rv.Relname, alias: rv.Relname}
	if rv.Alias != nil {
		if rv.Alias.Aliasname != "" {
			f.alias = rv.Alias.Aliasname
		}
		f.colAliases = stringParts(rv.Alias.Colnames)
	}
	return f
}

func buildFromList(nodes []*pg_query.Node, depth int) []*qFrom {
	out := make([]*qFrom, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, buildFrom(n, depth+1))
	}
	return out
}

func aliasOf(a *pg_query.Alias) (string, []string) {
	if a == nil {
		return "", nil
	}
	return a.Aliasname, stringParts(a.Colnames)
}

func buildFrom(n *pg_query.Node, depth int) *qFrom {
	if n == nil || depth > maxPlanDepth {
		return &qFrom{kind: fromUnknown}
	}
	switch x := n.Node.(type) {
	case *pg_query.Node_RangeVar:
		return buildRangeVar(x.RangeVar)
	case *pg_query.Node_RangeSubselect:
		f := &qFrom{kind: fromSub, lateral: x.RangeSubselect.Lateral, sub: buildStatement(x.RangeSubselect.Subquery, depth+1)}
		f.alias, f.colAliases = aliasOf(x.RangeSubselect.Alias)
		return f
	case *pg_query.Node_RangeFunction:
		rf := x.RangeFunction
		// Functions in FROM may always refer to the items before them.
		f := &qFrom{kind: fromFunc, lateral: true}
		f.alias, f.colAliases = aliasOf(rf.Alias)
		for _, item := range rf.Functions {
			l := item.GetList()
			if l == nil || len(l.Items) == 0 {
				continue
			}
			addExpr(&f.fn, l.Items[0], depth)
			addCallInputs(&f.rows, l.Items[0], depth)
			if fc := l.Items[0].GetFuncCall(); fc != nil && len(rf.Functions) == 1 {
				parts := stringParts(fc.Funcname)
				if len(parts) > 0 {
					f.fnName = parts[len(parts)-1]
				}
			}
		}
		return f
	case *pg_query.Node_JoinExpr:
		j := x.JoinExpr
		f := &qFrom{kind: fromJoin, left: buildFrom(j.Larg, depth+1), right: buildFrom(j.Rarg, depth+1),
			using: stringParts(j.UsingClause), natural: j.IsNatural, quals: buildExpr(j.Quals, depth)}
		f.alias, f.colAliases = aliasOf(j.Alias)
		return f
	case *pg_query.Node_RangeTableSample:
		ts := x.RangeTableSample
		f := buildFrom(ts.Relation, depth+1)
		for _, a := range ts.Args {
			addExpr(&f.rows, a, depth)
		}
		addExpr(&f.rows, ts.Repeatable, depth)
		return f
	case *pg_query.Node_RangeTableFunc:
		t := x.RangeTableFunc
		f := &qFrom{kind: fromFunc, lateral: true}
		f.alias, _ = aliasOf(t.Alias)
		addExpr(&f.fn, t.Docexpr, depth)
		addExpr(&f.fn, t.Rowexpr, depth)
		addExpr(&f.rows, t.Docexpr, depth)
		addExpr(&f.rows, t.Rowexpr, depth)
		for _, c := range t.Columns {
			if rc := c.GetRangeTableFuncCol(); rc != nil {
				addExpr(&f.fn, rc.Colexpr, depth)
				addExpr(&f.fn, rc.Coldefexpr, depth)
			}
		}
		return f
	}
	// Anything else in FROM (JSON_TABLE, future forms): its columns may
	// carry anything, and its inputs decide its rows.
	f := &qFrom{kind: fromUnknown}
	addExpr(&f.rows, n, depth)
	return f
}

// addCallInputs adds to e what a function in FROM is given: the
// arguments of a call (its body, like a view's, is the schema owner's), or
// the whole item when it is not a plain call.
func addCallInputs(e *qExpr, n *pg_query.Node, depth int) {
	fc := n.GetFuncCall()
	if fc == nil {
		addExpr(e, n, depth)
		return
	}
	for _, a := range fc.Args {
		addExpr(e, a, depth)
	}
	for _, o := range fc.AggOrder {
		addExpr(e, o, depth)
	}
	addExpr(e, fc.AggFilter, depth)
}

func buildTargets(nodes []*pg_query.Node, depth int) []qTarget {
	if len(nodes) == 0 {
		return nil
	}
	out := make([]qTarget, 0, len(nodes))
	for _, n := range nodes {
		rt := n.GetResTarget()
		if rt == nil {
			out = append(out, qTarget{name: "?column?", expr: buildExpr(n, depth)})
			continue
		}
		if cr := rt.Val.GetColumnRef(); cr != nil && isStarRef(cr) {
			r := refOf(cr)
			out = append(out, qTarget{star: &r})
			continue
		}
		name := rt.Name
		if name == "" {
			name = figureColname(rt.Val)
		}
		out = append(out, qTarget{name: name, expr: buildExpr(rt.Val, depth), plain: rt.Val.GetColumnRef() != nil})
	}
	return out
}

// buildTargetValues collects the values of SET / ON CONFLICT assignments.
func buildTargetValues(nodes []*pg_query.Node, depth int) []qExpr {
	var out []qExpr
	for _, n := range nodes {
		if rt := n.GetResTarget(); rt != nil {
			out = append(out, buildExpr(rt.Val, depth))
			for _, ind := range rt.Indirection {
				out = append(out, buildExpr(ind, depth))
			}
			continue
		}
		out = append(out, buildExpr(n, depth))
	}
	return out
}

func isStarRef(cr *pg_query.ColumnRef) bool {
	for _, f := range cr.Fields {
		if f.GetAStar() != nil {
			return true
		}
	}
	return false
}

func refOf(cr *pg_query.ColumnRef) colRef {
	r := colRef{parts: stringParts(cr.Fields), star: isStarRef(cr)}
	return r
}

func buildExpr(n *pg_query.Node, depth int) qExpr {
	var e qExpr
	addExpr(&e, n, depth)
	return e
}

func addExpr(e *qExpr, n *pg_query.Node, depth int) {
	if n == nil {
		return
	}
	collectExpr(n.ProtoReflect(), e, depth)
}

// collectExpr gathers what an expression depends on. Sub-queries are built
// as plans of their own, resolved in the expression's scope.
func collectExpr(m protoreflect.Message, e *qExpr, depth int) {
	if !m.IsValid() {
		return
	}
	if depth > maxDepth {
		e.subs = append(e.subs, &qQuery{kind: qOpaque})
		return
	}
	switch x := m.Interface().(type) {
	case *pg_query.ColumnRef:
		e.refs = append(e.refs, refOf(x))
		return
	case *pg_query.A_Const:
		return
	case *pg_query.ParamRef:
		// A parameter is the client's own value.
		return
	case *pg_query.SubLink:
		if x.Testexpr != nil {
			collectExpr(x.Testexpr.ProtoReflect(), e, depth+1)
		}
		e.subs = append(e.subs, buildStatement(x.Subselect, depth+1))
		for _, o := range x.OperName {
			if s := o.GetString_(); s != nil {
				e.ops = appendUnique(e.ops, s.Sval)
			}
		}
		return
	case *pg_query.SelectStmt:
		e.subs = append(e.subs, buildSelect(x, depth+1))
		return
	case *pg_query.FuncCall:
		e.funcs = appendUnique(e.funcs, strings.Join(stringParts(x.Funcname), "."))
	case *pg_query.A_Expr:
		e.ops = appendUnique(e.ops, strings.Join(stringParts(x.Name), "."))
	case *pg_query.TypeCast:
		if x.TypeName != nil {
			if parts := stringParts(x.TypeName.Names); len(parts) > 0 {
				e.casts = appendUnique(e.casts, parts[len(parts)-1])
			}
		}
	}
	eachMessage(m, func(c protoreflect.Message) { collectExpr(c, e, depth+1) })
}

// figureColname names an output column the way PostgreSQL does when the
// query gives no alias (FigureColnameInternal). A name that differs from
// the server's only costs precision: positions are trusted only when every
// name matches the RowDescription.
func figureColname(n *pg_query.Node) string {
	name, _ := figureName(n)
	if name == "" {
		return "?column?"
	}
	return name
}

func figureName(n *pg_query.Node) (string, int) {
	if n == nil {
		return "", 0
	}
	switch x := n.Node.(type) {
	case *pg_query.Node_ColumnRef:
		parts := x.ColumnRef.Fields
		if len(parts) > 0 {
			if s := parts[len(parts)-1].GetString_(); s != nil {
				return s.Sval, 2
			}
		}
	case *pg_query.Node_AIndirection:
		ind := x.AIndirection.Indirection
		for i := len(ind) - 1; i >= 0; i-- {
			if s := ind[i].GetString_(); s != nil {
				return s.Sval, 2
			}
		}
		return figureName(x.AIndirection.Arg)
	case *pg_query.Node_FuncCall:
		parts := stringParts(x.FuncCall.Funcname)
		if len(parts) > 0 {
			return parts[len(parts)-1], 2
		}
	case *pg_query.Node_AExpr:
		if x.AExpr.Kind == pg_query.A_Expr_Kind_AEXPR_NULLIF {
			return "nullif", 2
		}
	case *pg_query.Node_TypeCast:
		if name, s := figureName(x.TypeCast.Arg); s > 0 {
			return name, s
		}
		if tn := x.TypeCast.TypeName; tn != nil {
			parts := stringParts(tn.Names)
			if len(parts) > 0 {
				return parts[len(parts)-1], 1
			}
		}
	case *pg_query.Node_CollateClause:
		return figureName(x.CollateClause.Arg)
	case *pg_query.Node_GroupingFunc:
		return "grouping", 2
	case *pg_query.Node_MergeSupportFunc:
		return "merge_action", 2
	case *pg_query.Node_SubLink:
		switch x.SubLink.SubLinkType {
		case pg_query.SubLinkType_EXISTS_SUBLINK:
			return "exists", 2
		case pg_query.SubLinkType_ARRAY_SUBLINK:
			return "array", 2
		case pg_query.SubLinkType_EXPR_SUBLINK:
			if s := x.SubLink.Subselect.GetSelectStmt(); s != nil {
				for s.Op != pg_query.SetOperation_SETOP_NONE && s.Larg != nil {
					s = s.Larg
				}
				if len(s.TargetList) > 0 {
					if rt := s.TargetList[0].GetResTarget(); rt != nil {
						if rt.Name != "" {
							return rt.Name, 2
						}
						if name, st := figureName(rt.Val); st > 0 {
							return name, 2
						}
					}
				}
			}
		}
	case *pg_query.Node_CaseExpr:
		if name, s := figureName(x.CaseExpr.Defresult); s > 1 {
			return name, s
		}
		return "case", 1
	case *pg_query.Node_AArrayExpr:
		return "array", 2
	case *pg_query.Node_RowExpr:
		return "row", 2
	case *pg_query.Node_CoalesceExpr:
		return "coalesce", 2
	case *pg_query.Node_MinMaxExpr:
		if x.MinMaxExpr.Op == pg_query.MinMaxOp_IS_GREATEST {
			return "greatest", 2
		}
		return "least", 2
	case *pg_query.Node_SqlvalueFunction:
		return sqlValueName(x.SqlvalueFunction.Op), 2
	case *pg_query.Node_XmlExpr:
		switch x.XmlExpr.Op {
		case pg_query.XmlExprOp_IS_XMLCONCAT:
			return "xmlconcat", 2
		case pg_query.XmlExprOp_IS_XMLELEMENT:
			return "xmlelement", 2
		case pg_query.XmlExprOp_IS_XMLFOREST:
			return "xmlforest", 2
		case pg_query.XmlExprOp_IS_XMLPARSE:
			return "xmlparse", 2
		case pg_query.XmlExprOp_IS_XMLPI:
			return "xmlpi", 2
		case pg_query.XmlExprOp_IS_XMLROOT:
			return "xmlroot", 2
		case pg_query.XmlExprOp_IS_XMLSERIALIZE:
			return "xmlserialize", 2
		case pg_query.XmlExprOp_IS_DOCUMENT:
		}
	case *pg_query.Node_XmlSerialize:
		return "xmlserialize", 2
	}
	return "", 0
}

func sqlValueName(op pg_query.SQLValueFunctionOp) string {
	switch op {
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:
		return "current_date"
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N:
		return "current_time"
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N:
		return "current_timestamp"
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME_N:
		return "localtime"
	case pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP, pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:
		return "localtimestamp"
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE:
		return "current_role"
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER:
		return "current_user"
	case pg_query.SQLValueFunctionOp_SVFOP_USER:
		return "user"
	case pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER:
		return "session_user"
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:
		return "current_catalog"
	case pg_query.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:
		return "current_schema"
	}
	return ""
}
