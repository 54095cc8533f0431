package postgres

import (
	"strings"
	"sync"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// stmtInfo is what the gateway knows of one prepared statement on the
// server: how it was classified and its parameter types.
type stmtInfo struct {
	cl        *pgsql.Classification
	paramOIDs []uint32
	j         *judgedText // how to judge cl again (stale.go)
}

// portalEntry is what the gateway knows of one bound portal: the statement
// it runs (bound at Bind time: closing or replacing the statement later
// does not change the portal) and its parameter values for review.
type portalEntry struct {
	cl     *pgsql.Classification
	params []string
	j      *judgedText // how to judge cl again (stale.go)
}

// sessionModel is the gateway's model of the server's session state. It
// changes only when the server confirms (ParseComplete, BindComplete,
// CloseComplete, the CommandComplete of SQL PREPARE, DEALLOCATE and
// DISCARD ALL, ReadyForQuery ending a transaction): the upstream goroutine
// writes it, the client goroutine reads it once every earlier message has
// been answered (conn.settle). Removals may be early, additions never: a
// name the model does not know is refused.
type sessionModel struct {
	mu      sync.Mutex
	stmts   map[string]*stmtInfo
	portals map[string]*portalEntry
}

func newSessionModel() *sessionModel {
	return &sessionModel{stmts: map[string]*stmtInfo{}, portals: map[string]*portalEntry{}}
}

func (m *sessionModel) stmt(name string) *stmtInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stmts[name]
}

func (m *sessionModel) portal(name string) *portalEntry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.portals[name]
}

func (m *sessionModel) setStmt(name string, s *stmtInfo) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s == nil {
		delete(m.stmts, name)
		return
	}
	m.stmts[name] = s
}

func (m *sessionModel) setPortal(name string, p *portalEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p == nil {
		delete(m.portals, name)
		return
	}
	m.portals[name] = p
}

func (m *sessionModel) clearStmts() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.stmts)
}

func (m *sessionModel) clearPortals() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.portals)
}

// paramTypes records the parameter types the server reported for a
// statement (ParameterDescription), when the statement is still the same.
func (m *sessionModel) paramTypes(name string, oids []uint32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.stmts[name]; s != nil {
		// A copy: the client goroutine may hold the old entry.
		m.stmts[name] = &stmtInfo{cl: s.cl, paramOIDs: oids, j: s.j}
	}
}

// overlay is the state changes of messages the server will run in order
// after the confirmed state: the messages of the current extended-protocol
// sync group, or the statements of one simple Query. Within a group, a
// message runs only if every earlier one succeeded (after an error the
// server skips to Sync), so judging by the overlay is sound even before
// the server confirms it. A nil entry is a removed (unknown) name.
type overlay struct {
	stmts        map[string]*stmtInfo
	portals      map[string]*portalEntry
	clearedStmts bool // DEALLOCATE ALL, DISCARD ALL
	clearedPorts bool // DISCARD ALL
}

// reset forgets every pending change. The maps are emptied, not dropped,
// so a session's next sync group (a Bind, a portal) does not allocate them
// again; one that grew large is dropped.
func (o *overlay) reset() {
	o.stmts = emptied(o.stmts)
	o.portals = emptied(o.portals)
	o.clearedStmts, o.clearedPorts = false, false
}

// maxKeptOverlay is the largest overlay map reset keeps for reuse.
const maxKeptOverlay = 16

// emptied returns m cleared, or nil when it is large.
func emptied[V any](m map[string]V) map[string]V {
	if len(m) > maxKeptOverlay {
		return nil
	}
	clear(m)
	return m
}

func (o *overlay) setStmt(name string, s *stmtInfo) {
	if o.stmts == nil {
		o.stmts = map[string]*stmtInfo{}
	}
	o.stmts[name] = s
}

func (o *overlay) setPortal(name string, p *portalEntry) {
	if o.portals == nil {
		o.portals = map[string]*portalEntry{}
	}
	o.portals[name] = p
}

// apply records the effect of a SQL statement on prepared statements.
func (o *overlay) apply(e sqlEffect) {
	switch e.kind {
	case effectPrepare:
		o.setStmt(e.name, e.info)
	case effectDeallocate:
		o.setStmt(e.name, nil)
	case effectDeallocateAll:
		o.stmts, o.clearedStmts = nil, true
	case effectDiscardAll:
		o.stmts, o.clearedStmts = nil, true
		o.portals, o.clearedPorts = nil, true
	case effectUnknown:
		// A statement that may prepare or drop statements out of sight
		// (DO, CALL): nothing known survives it.
		o.stmts, o.clearedStmts = nil, true
	case effectCursor:
		o.portals, o.clearedPorts = nil, true
	}
}

// executeName names the prepared statement a statement runs: EXECUTE x,
// and EXPLAIN [ANALYZE] EXECUTE x (read from the text when the classifier
// did not name it).
func executeName(st *pgsql.Statement) string {
	if st.ExecuteName != "" || !strings.EqualFold(st.Kind, "EXPLAIN") {
		return st.ExecuteName
	}
	tree, err := pgsql.Parse(st.Text)
	if err != nil || len(tree.Stmts) != 1 {
		return ""
	}
	if ex := tree.Stmts[0].Stmt.GetExplainStmt(); ex != nil {
		if e := ex.Query.GetExecuteStmt(); e != nil {
			return e.Name
		}
	}
	return ""
}

type effectKind uint8

const (
	effectNone effectKind = iota
	effectPrepare
	effectDeallocate
	effectDeallocateAll
	effectDiscardAll
	effectUnknown
	effectCursor // SQL DECLARE or CLOSE: cursors share the portals' names
)

// sqlEffect is what a SQL statement does to the session's prepared
// statements.
type sqlEffect struct {
	kind effectKind
	name string
	info *stmtInfo // effectPrepare: nil when the prepared statement is unknown
}

// effectOf returns the effect of one classified statement.
func effectOf(st *pgsql.Statement) sqlEffect {
	if st == nil || st.Nested {
		return sqlEffect{}
	}
	if st.PrepareName != "" {
		e := sqlEffect{kind: effectPrepare, name: st.PrepareName}
		if st.Prepared != nil {
			e.info = &stmtInfo{cl: &pgsql.Classification{Statements: []pgsql.Statement{*st.Prepared}},
				j: &judgedText{src: st.Text, prepare: st.PrepareName}}
		}
		return e
	}
	switch upperKind(st.Kind) {
	case "DEALLOCATE", "DISCARD":
		return parseEffect(st.Text)
	case "PREPARE":
		// A PREPARE the classifier did not name: unknown.
		return sqlEffect{kind: effectUnknown}
	case "DECLARE", "CLOSE":
		return sqlEffect{kind: effectCursor}
	}
	if st.Opaque && st.ExecuteName == "" && !st.HiddenRead {
		// DO, CALL and the like run code the gateway cannot see, which
		// may PREPARE or DEALLOCATE; a call of a hidden reader
		// (query_to_xml, lo_get) is opaque for what it reads, not for
		// code of its own.
		return sqlEffect{kind: effectUnknown}
	}
	return sqlEffect{}
}

// parseEffect reads DEALLOCATE and DISCARD with the parser.
func parseEffect(text string) sqlEffect {
	tree, err := pgsql.Parse(text)
	if err != nil || len(tree.Stmts) != 1 {
		return sqlEffect{kind: effectUnknown}
	}
	n := tree.Stmts[0].Stmt
	if d := n.GetDeallocateStmt(); d != nil {
		if d.Name == "" {
			return sqlEffect{kind: effectDeallocateAll}
		}
		return sqlEffect{kind: effectDeallocate, name: d.Name}
	}
	if d := n.GetDiscardStmt(); d != nil {
		if d.Target == pg_query.DiscardMode_DISCARD_ALL {
			return sqlEffect{kind: effectDiscardAll}
		}
		return sqlEffect{}
	}
	return sqlEffect{kind: effectUnknown}
}

// confirmTag applies, on the server's CommandComplete, the effect of the
// statement it completes. The tag is the server's word: a tag that does not
// match the statement as classified drops what the model cannot vouch for.
func (m *sessionModel) confirmTag(tag string, st *pgsql.Statement) {
	verb := tag
	if i := strings.IndexByte(tag, ' '); i >= 0 {
		verb = tag[:i]
	}
	e := effectOf(st)
	switch verb {
	case "PREPARE":
		if e.kind == effectPrepare && e.info != nil {
			m.setStmt(e.name, e.info)
		}
	case "DEALLOCATE":
		if tag == "DEALLOCATE" && e.kind == effectDeallocate {
			m.setStmt(e.name, nil)
			return
		}
		m.clearStmts()
	case "DISCARD":
		if tag == "DISCARD ALL" || e.kind == effectDiscardAll {
			m.clearStmts()
			m.clearPortals()
		}
	case "DECLARE", "CLOSE":
		// A cursor made or closed under a portal's name: the portals the
		// model knows may be gone or different.
		m.clearPortals()
	default:
		if e.kind == effectUnknown {
			m.clearStmts()
		}
	}
}
