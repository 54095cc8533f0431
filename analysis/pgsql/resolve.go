package pgsql

import (
	"context"
	"sync"
)

// Lineage is the lineage of one value: the base columns ("table.column")
// it may be computed from. Unknown means it may be computed from any
// column of any relation (an opaque function, a relation the catalog does
// not know): a proxy masks it whenever any column of the database is.
// Computed means the value may be computed from Fields (an expression, a
// function's result, a whole row) rather than be one of their stored
// values as they are: a view's column that is computed carries what it
// computes from under the view's own name.
type Lineage struct {
	Fields   []string
	Unknown  bool
	Computed bool
}

func (l lin) export() Lineage {
	return Lineage{Fields: l.fields, Unknown: l.unknown, Computed: l.computed || l.unknown}
}

// Resolved is the lineage of one statement against the catalog.
type Resolved struct {
	out                     *relCols
	filter, computed, touch lin
	defs                    bool
}

// Unknown is the lineage of a statement that cannot be followed: every
// column, filter and value is of unknown lineage.
func Unknown() *Resolved {
	return &Resolved{out: unknownRel(), filter: lin{unknown: true}, computed: lin{unknown: true}, touch: lin{unknown: true}}
}

// Columns returns the names of the result columns and the lineage of
// each. ok is false when positions are not known (a set-returning
// function, names that disagree) or the statement returns no table data:
// then every column carries Whole.
func (r *Resolved) Columns() (names []string, lineages []Lineage, ok bool) {
	if r.out == nil || r.out.any {
		return nil, nil, false
	}
	lineages = make([]Lineage, len(r.out.lins))
	for i, l := range r.out.lins {
		lineages[i] = l.export()
	}
	return r.out.names, lineages, true
}

// Whole is the lineage of all result columns together; empty when the
// statement's rows (if any) carry no table data (EXPLAIN, SHOW).
func (r *Resolved) Whole() Lineage {
	if r.out == nil {
		return Lineage{}
	}
	return r.out.whole.export()
}

// Filter holds the columns the statement uses outside its output list
// (WHERE, JOIN, GROUP BY, HAVING, ORDER BY, LIMIT, DISTINCT, the arguments
// of a function in FROM, ...), views excepted: whatever decides which
// rows, how many and in which order.
func (r *Resolved) Filter() Lineage { return r.filter.export() }

// Computed holds the columns the statement's output expressions compute
// on (anything but a bare column), views excepted: an error or a delay
// computed from a masked value is an oracle too.
func (r *Resolved) Computed() Lineage { return r.computed.export() }

// Definitions reports whether the lineage follows the text of a view or
// SQL function outside the system's schemas, as the catalog showed it
// when resolved: its owner may replace it (CREATE OR REPLACE keeps its
// OID) on a connection the proxy does not see, so a proxy about to let a
// value out on the strength of such a lineage checks first that the
// catalog has not changed since (and resolves again when it has).
func (r *Resolved) Definitions() bool { return r.defs }

// Touched holds every column the statement evaluates, views included: an
// error about any of them may quote its value.
func (r *Resolved) Touched() Lineage { return r.touch.export() }

// Resolver follows statements' lineage through a Catalog, memoising what
// it derives (per statement plan, view and SQL function) for the
// catalog's generation. It is safe for concurrent use.
type Resolver struct {
	cat Catalog

	mu    sync.Mutex
	gen   uint64
	views map[uint32]*viewMemo
	fns   map[uint32]*fnMemo
	stmts map[*qQuery]*Resolved
}

// maxStatementMemo bounds the memo of resolved statements (keyed by plan,
// so uncached classifications add a new entry each time).
const maxStatementMemo = 4096

// NewResolver returns a Resolver that asks cat.
func NewResolver(cat Catalog) *Resolver {
	return &Resolver{cat: cat}
}

type viewMemo struct {
	done  bool
	rel   *relCols
	touch lin
}

type fnMemo struct {
	done bool
	l    lin
}

// syncLocked drops the memos of an older generation; m.mu is held.
func (m *Resolver) syncLocked(gen uint64) {
	if m.views == nil || m.gen != gen {
		m.gen = gen
		m.views = map[uint32]*viewMemo{}
		m.fns = map[uint32]*fnMemo{}
		m.stmts = map[*qQuery]*Resolved{}
	}
}

func (m *Resolver) view(cat Catalog, oid uint32) *viewMemo {
	return memoGet(m, cat, oid, func(m *Resolver) map[uint32]*viewMemo { return m.views })
}

// setView keeps v unless the catalog changed since gen.
func (m *Resolver) setView(cat Catalog, gen uint64, oid uint32, v *viewMemo) {
	memoSet(m, cat, gen, oid, v, func(m *Resolver) map[uint32]*viewMemo { return m.views })
}

func (m *Resolver) function(cat Catalog, oid uint32) *fnMemo {
	return memoGet(m, cat, oid, func(m *Resolver) map[uint32]*fnMemo { return m.fns })
}

// setFunction keeps f unless the catalog changed since gen.
func (m *Resolver) setFunction(cat Catalog, gen uint64, oid uint32, f *fnMemo) {
	memoSet(m, cat, gen, oid, f, func(m *Resolver) map[uint32]*fnMemo { return m.fns })
}

// memoGet returns the memo of oid in the memo table of m that table picks,
// for cat's current generation (nil: none, or m is nil).
func memoGet[V any](m *Resolver, cat Catalog, oid uint32, table func(*Resolver) map[uint32]*V) *V {
	if m == nil {
		return nil
	}
	gen := cat.Generation()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.syncLocked(gen)
	return table(m)[oid]
}

// memoSet keeps v as the memo of oid in the memo table of m that table
// picks, unless the catalog changed since gen.
func memoSet[V any](m *Resolver, cat Catalog, gen uint64, oid uint32, v *V, table func(*Resolver) map[uint32]*V) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cat.Generation() == gen {
		m.syncLocked(gen)
		table(m)[oid] = v
	}
}

// Resolve follows the lineage of st through the catalog; sess holds the
// cursors and prepared statements of the session it runs in (nil: none).
// A statement without a plan (nil, or from another Classifier) is
// Unknown. An error means the catalog could not be read.
func (m *Resolver) Resolve(ctx context.Context, st *Statement, sess *Session) (*Resolved, error) {
	if st == nil || st.plan == nil {
		return Unknown(), nil
	}
	return m.resolve(ctx, st.plan, sess)
}

// ResolveComputing resolves st as Resolve does, but with the results of
// the functions named in fns (lower case, any schema) taken as computed
// from their arguments alone: what the statement reads besides what those
// functions read themselves (what it hands them). It is neither memoised
// nor uses the memos of views and functions (a body that calls one of
// fns resolves differently).
func (m *Resolver) ResolveComputing(ctx context.Context, st *Statement, sess *Session, fns map[string]bool) (*Resolved, error) {
	if st == nil || st.plan == nil {
		return Unknown(), nil
	}
	fresh := &Resolver{cat: m.cat}
	gen := fresh.cat.Refresh(ctx)
	fresh.syncLocked(gen)
	r := &resolver{ctx: ctx, cat: fresh.cat, memo: fresh, sess: sess, gen: gen, computing: fns}
	out := r.query(st.plan, nil)
	if r.err != nil {
		return nil, r.err
	}
	res := &Resolved{out: out, filter: r.filter, computed: r.computed, touch: r.touch, defs: r.defs}
	if out != nil {
		res.touch.union(out.whole)
	}
	return res, nil
}

func (m *Resolver) resolve(ctx context.Context, plan *qQuery, sess *Session) (*Resolved, error) {
	gen := m.cat.Refresh(ctx)
	m.mu.Lock()
	m.syncLocked(gen)
	memo := m.stmts[plan]
	m.mu.Unlock()
	if memo != nil {
		return memo, nil
	}
	r := &resolver{ctx: ctx, cat: m.cat, memo: m, sess: sess, gen: gen}
	out := r.query(plan, nil)
	if r.err != nil {
		return nil, r.err
	}
	res := &Resolved{out: out, filter: r.filter, computed: r.computed, touch: r.touch, defs: r.defs}
	if out != nil {
		res.touch.union(out.whole)
	}
	if !r.volatile {
		m.mu.Lock()
		if m.cat.Generation() == gen {
			m.syncLocked(gen)
			if len(m.stmts) >= maxStatementMemo {
				m.stmts = map[*qQuery]*Resolved{}
			}
			m.stmts[plan] = res
		}
		m.mu.Unlock()
	}
	return res, nil
}
