package pgsql

import (
	"context"
	"slices"
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// lin is the lineage of one value: the base columns ("table.column") it
// may be computed from. unknown means it may be computed from any column
// of any relation (an opaque function, a relation the catalog does not
// know): it is masked whenever any column of the database is. computed
// means the value may be computed from its fields rather than be one of
// their stored values as they are (an expression, a function's result,
// a whole row): a view's column that is computed is not a bare column.
type lin struct {
	fields   []string
	unknown  bool
	computed bool
	// userCast: a value any expression over it may cast by a function
	// of the database's own, unwritten (see Relation.ImplicitUserCast).
	userCast bool
}

// union adds o to l. A lin may share its array with others (results are
// memoised and shared between sessions), so the first append always
// copies.
func (l *lin) union(o lin) {
	l.fields = slices.Clip(l.fields)
	for _, f := range o.fields {
		if !slices.Contains(l.fields, f) {
			l.fields = append(l.fields, f)
		}
	}
	l.unknown = l.unknown || o.unknown
	l.computed = l.computed || o.computed
	l.userCast = l.userCast || o.userCast
}

func (l lin) size() int {
	n := len(l.fields)
	if l.unknown {
		n++
	}
	return n
}

// relCols are the columns of a relation, a FROM item or a query's output,
// each with its lineage. any means the columns cannot be listed (a set
// returning function, names that disagree): every column is whole.
type relCols struct {
	names  []string
	lins   []lin
	any    bool
	bottom bool // a recursive CTE before its first round
	whole  lin
}

func (r *relCols) finish() *relCols {
	for _, l := range r.lins {
		r.whole.union(l)
	}
	return r
}

func unknownRel() *relCols {
	return &relCols{any: true, whole: lin{unknown: true}}
}

// column returns the lineage of the column called name, if r has one.
func (r *relCols) column(name string) (lin, bool) {
	if r.any {
		return r.whole, true
	}
	var l lin
	found := false
	for i, n := range r.names {
		if n == name {
			l.union(r.lins[i])
			found = true
		}
	}
	return l, found
}

func renamed(r *relCols, cols []string) *relCols {
	if len(cols) == 0 || r.any {
		return r
	}
	out := &relCols{names: slices.Clone(r.names), lins: r.lins, whole: r.whole}
	for i := range cols {
		if i < len(out.names) {
			out.names[i] = cols[i]
		}
	}
	return out
}

// mergePositional unites two results column by column (set operations,
// VALUES rows, rounds of a recursive CTE).
func mergePositional(a, b *relCols) *relCols {
	switch {
	case a == nil || a.bottom:
		return b
	case b == nil || b.bottom:
		return a
	}
	if a.any || b.any || len(a.names) != len(b.names) {
		out := &relCols{any: true}
		out.whole.union(a.whole)
		out.whole.union(b.whole)
		return out
	}
	out := &relCols{names: a.names, lins: make([]lin, len(a.lins))}
	for i := range a.lins {
		out.lins[i].union(a.lins[i])
		out.lins[i].union(b.lins[i])
	}
	return out.finish()
}

func sameRel(a, b *relCols) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.any != b.any || a.bottom != b.bottom || a.whole.size() != b.whole.size() || len(a.lins) != len(b.lins) {
		return false
	}
	for i := range a.lins {
		if a.lins[i].size() != b.lins[i].size() {
			return false
		}
	}
	return true
}

type scopeItem struct {
	alias string
	rel   *relCols
}

type scope struct {
	parent *scope
	items  []scopeItem
	ctes   map[string]*relCols
}

func (s *scope) cte(name string) *relCols {
	for ; s != nil; s = s.parent {
		if r, ok := s.ctes[name]; ok {
			return r
		}
	}
	return nil
}

// resolver follows one statement's plan through the catalog.
type resolver struct {
	ctx  context.Context
	cat  Catalog
	memo *Resolver
	sess *Session
	gen  uint64
	err  error

	depth    int
	steps    int // queries resolved so far, bounded by maxResolveSteps
	body     int // inside a view or function body
	filter   lin
	computed lin // columns output expressions compute on (not views')
	touch    lin
	stack    []*lin // local filter collectors (sub-queries used as values)
	volatile bool   // depends on session state: not memoised
	defs     bool   // followed a definition of the database's (see Resolved.Definitions)
	userDefs int    // how many such definitions it followed
	views    map[uint32]bool
	fns      map[uint32]bool
	// computing are functions (lower case, any schema) whose results are
	// taken as computed from their arguments alone (ResolveComputing).
	computing map[string]bool
}

// maxResolveDepth bounds nesting through views, functions and sub-queries.
const maxResolveDepth = 64

// maxResolveSteps bounds the work of one resolution: cursors and prepared
// statements keep every query ever declared under their name, and plans
// that FETCH or EXECUTE others fan out, so depth alone would still allow
// exponential work. Past the bound the lineage is unknown (masked).
const maxResolveSteps = 20000

// dataCopies are catalog relations whose columns hold copies of other
// columns' values: statistics (most common values, histogram bounds),
// large objects, column defaults (a literal a covered column defaults
// to) and sequences' parameters (an identity's START WITH).
var dataCopies = map[string]bool{
	"pg_statistic": true, "pg_statistic_ext_data": true, "pg_stats": true, "pg_stats_ext": true,
	"pg_stats_ext_exprs": true, "pg_largeobject": true, "pg_attrdef": true, "pg_sequence": true,
}

// systemColumns exist in every table and hold no data of its own.
var systemColumns = map[string]bool{"ctid": true, "xmin": true, "xmax": true, "cmin": true, "cmax": true, "tableoid": true}

// dataReaders are built-in functions that read data beyond their
// arguments: queries in text, tables by name, files, cursors, WAL,
// settings, other sessions' statements (which quote their literals),
// sequences (the value a serial or identity column was last given), and
// the rest of a session's state that a statement or code of the
// database's may fill with a value it computed: advisory locks (keyed on
// any number, pg_locks), LISTEN channels, prepared statements and
// cursors (named by any text in code: EXECUTE format('LISTEN %I', v)).
// Built-ins are matched by name and by C symbol (see readsData).
var dataReaders = map[string]bool{}

// readerSymbols are prefixes of the C symbols (pg_proc.prosrc) of
// built-ins that read data beyond their arguments: every variant and
// alias of a reader (pg_read_file_old is pg_read_file) shares one.
var readerSymbols = strings.Fields(`query_to_xml table_to_xml cursor_to_xml schema_to_xml
	database_to_xml ts_stat tsquery_rewrite pg_read_file pg_read_binary_file be_lo_get be_loread
	be_lo_export pg_logical_slot_ show_config_by_name show_all_settings pg_stat_get_activity
	pg_stat_get_backend_activity pg_stat_statements currval lastval nextval pg_sequence_last_value pg_sequence_parameters
	pg_lock_status pg_listening_channels pg_prepared_statement pg_cursor pg_get_backend_memory_contexts`)

func init() {
	for _, f := range strings.Fields(`query_to_xml query_to_xml_and_xmlschema query_to_xmlschema
		table_to_xml table_to_xml_and_xmlschema cursor_to_xml schema_to_xml schema_to_xml_and_xmlschema
		database_to_xml database_to_xml_and_xmlschema ts_stat ts_rewrite pg_read_file pg_read_binary_file
		lo_get loread lo_export pg_logical_slot_get_changes pg_logical_slot_peek_changes
		pg_logical_slot_get_binary_changes pg_logical_slot_peek_binary_changes current_setting
		pg_stat_get_activity pg_stat_get_backend_activity pg_stat_statements pg_show_all_settings
		currval lastval nextval pg_sequence_last_value pg_sequence_parameters
		pg_lock_status pg_listening_channels pg_prepared_statement pg_cursor pg_get_backend_memory_contexts`) {
		dataReaders[f] = true
	}
}

// readsData reports whether the built-in c (called name) reads data
// beyond its arguments.
func readsData(name string, c Function) bool {
	if dataReaders[name] {
		return true
	}
	for _, p := range readerSymbols {
		if strings.HasPrefix(c.Src, p) {
			return true
		}
	}
	return false
}

func (r *resolver) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

func (r *resolver) addFilter(l lin) {
	if l.userCast {
		l.unknown = true // evaluated as a condition: a cast of its own may run
	}
	if r.body == 0 {
		r.filter.union(l)
	}
	r.touch.union(l)
	for _, s := range r.stack {
		s.union(l)
	}
}

// query resolves one query level; nil means it returns no rows with
// table data.
func (r *resolver) query(q *qQuery, parent *scope) *relCols {
	r.depth++
	r.steps++
	defer func() { r.depth-- }()
	if q == nil || r.depth > maxResolveDepth || r.steps > maxResolveSteps {
		r.touch.unknown = true
		return unknownRel()
	}
	sc := &scope{parent: parent}
	r.ctes(q, sc)
	switch q.kind {
	case qSelect:
		return r.selectQ(q, sc)
	case qSetOp:
		out := mergePositional(r.query(q.larg, sc), r.query(q.rarg, sc))
		if out == nil {
			out = unknownRel()
		}
		if q.compares {
			// Which rows come out depends on comparing them.
			r.addFilter(out.whole)
		}
		r.filters(q, sc, out)
		return out
	case qValues:
		var out *relCols
		for _, row := range q.values {
			rc := &relCols{}
			for i, e := range row {
				rc.names = append(rc.names, "column"+strconv.Itoa(i+1))
				l := r.expr(e, sc, nil)
				l.computed = true
				rc.lins = append(rc.lins, l)
			}
			out = mergePositional(out, rc.finish())
		}
		if out == nil {
			out = &relCols{}
		}
		r.filters(q, sc, out)
		return out
	case qDML:
		return r.dml(q, sc)
	case qNoRows, qNoData:
		if q.inner != nil {
			r.query(q.inner, sc)
		}
		return nil
	case qNothing:
		return nil
	case qFetch, qExecute:
		r.volatile = true
		r.filters(q, sc, nil)
		var plans []*qQuery
		if r.sess != nil {
			plans = r.sess.plans(q.kind == qFetch, q.name)
		}
		if len(plans) == 0 {
			r.touch.unknown = true
			return unknownRel()
		}
		var out *relCols
		for _, p := range plans {
			rc := r.query(p, nil)
			if rc == nil {
				rc = &relCols{}
			}
			out = mergePositional(out, rc)
		}
		return out
	}
	r.touch.unknown = true
	return unknownRel()
}

func (r *resolver) ctes(q *qQuery, sc *scope) {
	if len(q.with) == 0 {
		return
	}
	sc.ctes = map[string]*relCols{}
	if !q.recursive {
		for _, c := range q.with {
			rel := r.query(c.q, sc)
			if rel == nil {
				rel = &relCols{}
			}
			sc.ctes[c.name] = renamed(rel, c.cols)
		}
		return
	}
	// WITH RECURSIVE: iterate to a fixed point; lineage only grows.
	for _, c := range q.with {
		sc.ctes[c.name] = &relCols{any: true, bottom: true}
	}
	for range 16 {
		changed := false
		for _, c := range q.with {
			rel := r.query(c.q, sc)
			if rel == nil {
				rel = &relCols{}
			}
			old := sc.ctes[c.name]
			merged := mergePositional(old, renamed(rel, c.cols))
			if !sameRel(old, merged) {
				changed = true
			}
			sc.ctes[c.name] = merged
		}
		if !changed {
			return
		}
	}
	for _, c := range q.with {
		sc.ctes[c.name] = unknownRel()
	}
	r.touch.unknown = true
}

func (r *resolver) selectQ(q *qQuery, sc *scope) *relCols {
	var stars []*relCols
	nonLat := &scope{parent: sc.parent, ctes: sc.ctes}
	for _, f := range q.from {
		leaves, star := r.fromItem(f, sc, nonLat)
		sc.items = append(sc.items, leaves...)
		stars = append(stars, star)
	}
	out := r.targets(q.targets, sc, stars)
	r.filters(q, sc, out)
	return out
}

func (r *resolver) filters(q *qQuery, sc *scope, out *relCols) {
	for _, e := range q.filters {
		if !e.empty() {
			r.addFilter(r.expr(e, sc, nil))
		}
	}
	for _, e := range q.orderish {
		if e.intPos {
			if out != nil {
				r.addFilter(out.whole)
			}
			continue
		}
		r.addFilter(r.expr(e, sc, out))
	}
}

func (r *resolver) targets(ts []qTarget, sc *scope, stars []*relCols) *relCols {
	out := &relCols{}
	appendRel := func(rel *relCols) {
		if rel.any {
			out.any = true
			out.whole.union(rel.whole)
			return
		}
		out.names = append(out.names, rel.names...)
		out.lins = append(out.lins, rel.lins...)
	}
	for _, t := range ts {
		if t.star == nil {
			l := r.expr(t.expr, sc, nil)
			if !t.plain {
				if l.userCast {
					l.unknown = true // a CASE or COALESCE may cast it
				}
				if r.body == 0 {
					r.computed.union(l)
				}
				l.computed = true
			}
			out.names = append(out.names, t.name)
			out.lins = append(out.lins, l)
			continue
		}
		if len(t.star.parts) == 0 {
			for _, s := range stars {
				appendRel(s)
			}
			continue
		}
		qual := t.star.parts[len(t.star.parts)-1]
		found := false
		for i := len(sc.items) - 1; i >= 0; i-- {
			if sc.items[i].alias == qual {
				appendRel(sc.items[i].rel)
				found = true
				break
			}
		}
		if !found {
			out.any = true
			out.whole.union(r.fallback(sc))
		}
	}
	if out.any {
		// Positions are unknown: every column is whole.
		for _, l := range out.lins {
			out.whole.union(l)
		}
		out.names, out.lins = nil, nil
		return out
	}
	return out.finish()
}

// fromItem resolves one FROM item in scope lat (nonLat for a sub-query
// that is not LATERAL). Whatever decides how many rows an item yields (a
// function's arguments, TABLESAMPLE's) counts as a filter: a row count is
// as telling as a WHERE clause.
func (r *resolver) fromItem(f *qFrom, lat, nonLat *scope) ([]scopeItem, *relCols) {
	if !f.rows.empty() {
		r.addFilter(r.expr(f.rows, lat, nil))
	}
	switch f.kind {
	case fromRel:
		rel := renamed(r.relation(f.schema, f.name, lat), f.colAliases)
		return []scopeItem{{alias: f.alias, rel: rel}}, rel
	case fromSub:
		s := nonLat
		if f.lateral {
			s = lat
		}
		rel := r.query(f.sub, s)
		if rel == nil {
			rel = &relCols{}
		}
		rel = renamed(rel, f.colAliases)
		return []scopeItem{{alias: f.alias, rel: rel}}, rel
	case fromFunc:
		rel := &relCols{any: true, whole: r.expr(f.fn, lat, nil)}
		rel.whole.computed = true
		alias := f.alias
		if alias == "" {
			alias = f.fnName
		}
		return []scopeItem{{alias: alias, rel: rel}}, rel
	case fromJoin:
		ll, ls := r.fromItem(f.left, lat, nonLat)
		withLeft := &scope{parent: lat.parent, ctes: lat.ctes, items: append(slices.Clone(lat.items), ll...)}
		rl, rs := r.fromItem(f.right, withLeft, nonLat)
		both := &scope{parent: lat.parent, ctes: lat.ctes, items: append(slices.Clone(withLeft.items), rl...)}
		if !f.quals.empty() {
			r.addFilter(r.expr(f.quals, both, nil))
		}
		star := joinStar(ls, rs, f.using, f.natural)
		switch {
		case f.natural && (ls.any || rs.any):
			var l lin
			l.union(ls.whole)
			l.union(rs.whole)
			r.addFilter(l)
		case f.natural:
			for _, n := range ls.names {
				if slices.Contains(rs.names, n) {
					l, _ := star.column(n)
					r.addFilter(l)
				}
			}
		}
		for _, u := range f.using {
			l, _ := star.column(u)
			r.addFilter(l)
		}
		if f.alias != "" {
			star = renamed(star, f.colAliases)
			return []scopeItem{{alias: f.alias, rel: star}}, star
		}
		return append(ll, rl...), star
	}
	r.touch.unknown = true
	rel := unknownRel()
	return []scopeItem{{alias: f.alias, rel: rel}}, rel
}

// joinStar is what * expands to over a join: USING / NATURAL columns once,
// then the rest of the left side, then the rest of the right.
func joinStar(l, r *relCols, using []string, natural bool) *relCols {
	if l.any || r.any {
		out := &relCols{any: true}
		out.whole.union(l.whole)
		out.whole.union(r.whole)
		return out
	}
	if natural {
		using = nil
		for _, n := range l.names {
			if slices.Contains(r.names, n) {
				using = append(using, n)
			}
		}
	}
	out := &relCols{}
	for _, u := range using {
		a, _ := l.column(u)
		b, _ := r.column(u)
		a.union(b)
		out.names = append(out.names, u)
		out.lins = append(out.lins, a)
	}
	for i, n := range l.names {
		if !slices.Contains(using, n) {
			out.names = append(out.names, n)
			out.lins = append(out.lins, l.lins[i])
		}
	}
	for i, n := range r.names {
		if !slices.Contains(using, n) {
			out.names = append(out.names, n)
			out.lins = append(out.lins, r.lins[i])
		}
	}
	return out.finish()
}

func (r *resolver) dml(q *qQuery, sc *scope) *relCols {
	nonLat := &scope{parent: sc.parent, ctes: sc.ctes}
	var vals lin
	if q.source != nil {
		if s := r.query(q.source, sc); s != nil {
			vals.union(s.whole)
		}
	}
	base := r.relation(q.target.schema, q.target.name, sc)
	for _, f := range q.from {
		leaves, _ := r.fromItem(f, sc, nonLat)
		sc.items = append(sc.items, leaves...)
	}
	sc.items = append(sc.items, scopeItem{alias: q.target.alias, rel: base})
	for _, a := range q.assigned {
		vals.union(r.expr(a, sc, nil))
	}
	r.touch.union(vals)
	// What RETURNING shows of the written table may be what was written.
	written := &relCols{names: base.names, any: base.any, whole: base.whole}
	for _, l := range base.lins {
		l2 := lin{fields: slices.Clone(l.fields), unknown: l.unknown}
		l2.union(vals)
		written.lins = append(written.lins, l2)
	}
	written.whole.union(vals)
	sc.items[len(sc.items)-1].rel = written
	r.filters(q, sc, nil)
	if len(q.returning) == 0 {
		return nil
	}
	return r.targets(q.returning, sc, []*relCols{written})
}

// relation resolves a relation name: a CTE, else every relation of that
// name in the catalog.
func (r *resolver) relation(schema, name string, sc *scope) *relCols {
	if schema == "" {
		if c := sc.cte(name); c != nil {
			if c.bottom {
				return &relCols{any: true}
			}
			return c
		}
	}
	cands, err := r.cat.Relations(r.ctx, schema, name)
	if err != nil {
		r.fail(err)
		return unknownRel()
	}
	if len(cands) == 0 {
		// Not in the catalog (created in an open transaction, a temporary
		// object of another kind): anything.
		r.touch.unknown = true
		return unknownRel()
	}
	var out *relCols
	for _, c := range cands {
		rel := r.relOf(c)
		if out == nil {
			out = rel
			continue
		}
		out = unionByName(out, rel)
	}
	return out
}

// unionByName unites two relations of the same name in different schemas.
func unionByName(a, b *relCols) *relCols {
	if a.any || b.any {
		out := &relCols{any: true}
		out.whole.union(a.whole)
		out.whole.union(b.whole)
		return out
	}
	if slices.Equal(a.names, b.names) {
		return mergePositional(a, b)
	}
	// Which one the server picks depends on the session's search_path:
	// a column of either name carries both, and * has no known positions.
	out := &relCols{any: true}
	out.whole.union(a.whole)
	out.whole.union(b.whole)
	return out
}

func (r *resolver) relOf(c Relation) *relCols {
	if holdsCopies(c) {
		r.touch.unknown = true
		return unknownRel()
	}
	if c.RowSecurity {
		// Its policies may read and evaluate any column (an error may
		// quote it); they do not decide the values of its own columns.
		r.touch.unknown = true
	}
	if c.Kind == 'v' || c.Kind == 'm' {
		return r.view(c)
	}
	out := &relCols{names: c.Columns, lins: make([]lin, len(c.Columns))}
	for i, col := range c.Columns {
		fields := make([]string, 0, 1+len(c.Kin))
		fields = append(fields, c.Name+"."+col)
		for _, a := range c.Kin {
			fields = append(fields, a+"."+col)
		}
		out.lins[i] = lin{fields: fields, userCast: c.ImplicitUserCast[col]}
	}
	for i, col := range c.Columns {
		if g, ok := c.Generated[col]; ok {
			out.lins[i] = generated(out, g)
		}
	}
	return out.finish()
}

// generated is the lineage of a column of rel generated by g: computed
// when its row was written, from the columns g reads (a cast of the
// database's own may have run on them), by code that may be the
// database's own.
func generated(rel *relCols, g Generation) lin {
	l := lin{computed: true, unknown: g.ByUser}
	for _, from := range g.From {
		src, ok := rel.column(from)
		if !ok {
			l.unknown = true
			continue
		}
		l.union(src)
	}
	if l.userCast {
		l.unknown, l.userCast = true, false
	}
	return l
}

// holdsCopies reports whether c shows other relations' values under
// names of its own: statistics, large objects, column defaults, TOAST
// chunks (of any table, so of unknown lineage), foreign tables (of any
// relation of any server, this database's included), sequences (the last
// value a serial or identity column was given: the catalog does not say
// reliably which column a sequence feeds, so any), temporary tables
// (a session's own, filled by whatever it ran, code the gateway cannot
// see included; schema pg_temp_N).
func holdsCopies(c Relation) bool {
	switch {
	case c.Kind == 't', c.Kind == 'f', c.Kind == 'S', strings.HasPrefix(c.Schema, "pg_toast"),
		strings.HasPrefix(c.Schema, "pg_temp_"):
		return true
	case c.Schema == "pg_catalog":
		return dataCopies[c.Name]
	}
	return false
}

// view follows a view or materialized view through its definition.
func (r *resolver) view(c Relation) *relCols {
	r.noteDefinition(c.Schema)
	m := r.memo.view(r.cat, c.OID)
	if m != nil && m.done {
		r.touch.union(m.touch)
		return m.rel
	}
	if !enter(&r.views, c.OID) {
		r.touch.unknown = true
		return unknownRel()
	}
	defer delete(r.views, c.OID)
	// The view's own filters are evaluated too (an error may quote them),
	// but they are not the statement's, nor its values'.
	defsBefore := r.userDefs
	rel, local := r.localBody(c.ViewDef)
	if rel == nil {
		rel = unknownRel()
	}
	if c.Kind == 'm' && r.userDefs > defsBefore {
		rel = computedWhenRefreshed(rel)
	}
	local.union(rel.whole)
	if !rel.any {
		if len(rel.names) != len(c.Columns) {
			rel = &relCols{any: true, whole: rel.whole}
		} else {
			rel = &relCols{names: c.Columns, lins: rel.lins, whole: rel.whole}
		}
	}
	if r.err == nil {
		r.memo.setView(r.cat, r.gen, c.OID, &viewMemo{done: true, rel: rel, touch: local})
	}
	return rel
}

// noteDefinition notes that the lineage follows the text of a view or SQL
// function of schema: outside the system's schemas, its owner may replace
// it at any time.
func (r *resolver) noteDefinition(schema string) {
	if schema != "pg_catalog" && schema != "information_schema" {
		r.defs = true
		r.userDefs++
	}
}

// computedWhenRefreshed returns rel, a materialized view's columns as its
// definition reads today through views and functions of the database's
// own, with every column unknown: its values were computed at the last
// refresh by those definitions as they were then, and a column that
// passes one through today may have been computed then.
func computedWhenRefreshed(rel *relCols) *relCols {
	out := &relCols{names: rel.names, any: rel.any, lins: make([]lin, len(rel.lins))}
	for i, l := range rel.lins {
		l.unknown, l.computed = true, true
		out.lins[i] = l
	}
	out.whole = rel.whole
	out.whole.unknown, out.whole.computed = true, true
	return out
}

// enter marks oid as followed in *active (made on first use) and reports
// false when it already was: a cycle through a view or function. The
// caller deletes oid when it is done.
func enter(active *map[uint32]bool, oid uint32) bool {
	if (*active)[oid] {
		return false
	}
	if *active == nil {
		*active = map[uint32]bool{}
	}
	(*active)[oid] = true
	return true
}

// localBody resolves a view definition or SQL function body on a
// lineage stack of its own, and returns its result and the lineage it
// evaluated.
func (r *resolver) localBody(text string) (*relCols, lin) {
	var local lin
	saved := r.stack
	r.stack = []*lin{&local}
	rel := r.bodyOf(text)
	r.stack = saved
	return rel, local
}

// bodyOf resolves the statements of a view definition or SQL function
// body; the result unites their outputs (a function returns its last).
// Filters inside count as touched, not as the statement's own.
func (r *resolver) bodyOf(text string) *relCols {
	tree, err := Parse(text)
	if err != nil {
		r.touch.unknown = true
		return unknownRel()
	}
	var nodes []*pg_query.Node
	for _, raw := range tree.Stmts {
		if cf := raw.Stmt.GetCreateFunctionStmt(); cf != nil && cf.SqlBody != nil {
			nodes = append(nodes, flattenBody(cf.SqlBody)...)
			continue
		}
		nodes = append(nodes, raw.Stmt)
	}
	r.body++
	defer func() { r.body-- }()
	var out *relCols
	for _, n := range nodes {
		rc := r.query(buildStatement(n, 0), nil)
		if rc == nil {
			continue
		}
		if out == nil {
			out = rc
			continue
		}
		u := &relCols{any: true}
		u.whole.union(out.whole)
		u.whole.union(rc.whole)
		out = u
	}
	return out
}

func flattenBody(n *pg_query.Node) []*pg_query.Node {
	if l := n.GetList(); l != nil {
		var out []*pg_query.Node
		for _, x := range l.Items {
			out = append(out, flattenBody(x)...)
		}
		return out
	}
	if n == nil || n.Node == nil {
		return nil
	}
	return []*pg_query.Node{n}
}

// function returns what a call of the named function adds to the lineage
// of its arguments: nothing for a built-in that computes from its
// arguments alone, the body's lineage for a SQL function, unknown for
// anything else.
func (r *resolver) function(name string) lin {
	schema, fname := "", name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		schema, fname = name[:i], name[i+1:]
		if j := strings.LastIndexByte(schema, '.'); j >= 0 {
			schema = schema[j+1:]
		}
	}
	if r.computing[strings.ToLower(fname)] {
		// Its arguments are resolved beside it (expr).
		return lin{}
	}
	cands, err := r.cat.Functions(r.ctx, schema, fname)
	if err != nil {
		r.fail(err)
		return lin{unknown: true}
	}
	if len(cands) == 0 {
		return lin{unknown: true}
	}
	var l lin
	for _, c := range cands {
		switch {
		case c.Schema == "pg_catalog" && (c.Lang == 12 || c.Lang == 13):
			if readsData(fname, c) {
				l.unknown = true
			}
		case c.Lang == 14 && (c.Kind == 'f' || c.Kind == 'p'):
			l.union(r.sqlFunction(c))
		default:
			l.unknown = true
		}
	}
	return l
}

func (r *resolver) sqlFunction(c Function) lin {
	r.noteDefinition(c.Schema)
	m := r.memo.function(r.cat, c.OID)
	if m != nil && m.done {
		return m.l
	}
	if !enter(&r.fns, c.OID) {
		return lin{unknown: true}
	}
	defer delete(r.fns, c.OID)
	// The result depends on the body's outputs and on its filters (which
	// the caller's arguments may steer).
	rel, local := r.localBody(c.Body)
	if rel != nil {
		local.union(rel.whole)
	}
	if r.err == nil {
		r.memo.setFunction(r.cat, r.gen, c.OID, &fnMemo{done: true, l: local})
	}
	return local
}

// expr resolves an expression in scope sc; out, when set, lets a bare
// name mean an output column (ORDER BY, GROUP BY). A sub-query brings its
// outputs and its filters: the value depends on both.
func (r *resolver) expr(e qExpr, sc *scope, out *relCols) lin {
	var l lin
	for _, ref := range e.refs {
		if out != nil && !out.any && len(ref.parts) == 1 && !ref.star {
			// ORDER BY prefers an output name, GROUP BY an input column:
			// take both when both exist.
			ol, ok := out.column(ref.parts[0])
			if ok {
				l.union(ol)
				if il, ok := inputColumn(sc, ref.parts[0]); ok {
					l.union(il)
				}
				continue
			}
		}
		l.union(r.ref(ref, sc))
	}
	for _, f := range e.funcs {
		l.union(r.function(f))
	}
	for _, op := range e.ops {
		name := op
		if i := strings.LastIndexByte(op, '.'); i >= 0 {
			if op[:i] != "pg_catalog" {
				l.unknown = true
			}
			name = op[i+1:]
		}
		user, err := r.cat.UserOperator(r.ctx, name)
		if err != nil {
			r.fail(err)
			l.unknown = true
		}
		if user {
			l.unknown = true
		}
	}
	for _, t := range e.casts {
		// A cast may run a function of the database's (CREATE CAST ...
		// WITH FUNCTION), which may read anything.
		user, err := r.cat.UserCast(r.ctx, t)
		if err != nil {
			r.fail(err)
		}
		if user || err != nil {
			l.unknown = true
		}
	}
	for _, s := range e.subs {
		var local lin
		r.stack = append(r.stack, &local)
		rc := r.query(s, sc)
		r.stack = r.stack[:len(r.stack)-1]
		if rc != nil {
			local.union(rc.whole)
		}
		l.union(local)
	}
	if l.userCast && !e.bareRef() {
		// An implicit cast of the database's own (CREATE CAST ... AS
		// IMPLICIT) may run on the value: code the lineage cannot see.
		l.unknown = true
	}
	r.touch.union(l)
	return l
}

// ref resolves a column reference, innermost scope first. A reference that
// resolves nowhere (a function parameter, a name this model gets wrong)
// counts as every column in scope: the server found it somewhere there.
func (r *resolver) ref(ref colRef, sc *scope) lin {
	parts := ref.parts
	if ref.star {
		if len(parts) == 0 {
			var l lin
			for _, it := range sc.items {
				l.union(it.rel.whole)
			}
			return wholeRow(l)
		}
		if it := findItem(sc, parts[len(parts)-1]); it != nil {
			return wholeRow(it.rel.whole)
		}
		return r.fallback(sc)
	}
	if len(parts) == 0 {
		return r.fallback(sc)
	}
	if len(parts) == 1 {
		name := parts[0]
		for s := sc; s != nil; s = s.parent {
			var l lin
			found := false
			for _, it := range s.items {
				if it.rel.any {
					continue
				}
				if cl, ok := it.rel.column(name); ok {
					l.union(cl)
					found = true
				}
			}
			if found {
				return l
			}
			// A column of an item whose columns are not listed, or a whole
			// row: either may be meant.
			for _, it := range s.items {
				if it.rel.any || it.alias == name {
					l.union(it.rel.whole)
					found = true
				}
			}
			if found {
				return wholeRow(l)
			}
		}
		if systemColumns[name] {
			return lin{}
		}
		return r.fallback(sc)
	}
	qual, col := parts[len(parts)-2], parts[len(parts)-1]
	if it := findItem(sc, qual); it != nil {
		if cl, ok := it.rel.column(col); ok {
			return cl
		}
		return wholeRow(it.rel.whole)
	}
	return r.fallback(sc)
}

// inputColumn finds a column called name among the items of the innermost
// scope, without falling back.
func inputColumn(sc *scope, name string) (lin, bool) {
	var l lin
	found := false
	for _, it := range sc.items {
		if cl, ok := it.rel.column(name); ok {
			l.union(cl)
			found = true
		}
	}
	return l, found
}

func findItem(sc *scope, alias string) *scopeItem {
	for s := sc; s != nil; s = s.parent {
		for i := len(s.items) - 1; i >= 0; i-- {
			if s.items[i].alias == alias {
				return &s.items[i]
			}
		}
	}
	return nil
}

func (r *resolver) fallback(sc *scope) lin {
	var l lin
	for s := sc; s != nil; s = s.parent {
		for _, it := range s.items {
			l.union(it.rel.whole)
		}
	}
	return wholeRow(l)
}

// wholeRow marks l as the lineage of a value made of several columns (a
// whole row, a column of an item whose columns are not listed, a name
// resolved nowhere): not one column's stored value.
func wholeRow(l lin) lin {
	l.computed = true
	return l
}
