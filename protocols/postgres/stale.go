package postgres

import (
	"strings"
	"sync/atomic"

	"github.com/airlock-sdk/airlock/analysis/pgsql"
)

// Verdicts kept for later. A prepared statement (Parse, SQL PREPARE) or a
// bound portal is judged when it is made and run later, maybe much later:
// meanwhile the database's owner may add code under it (a domain's CHECK,
// a redefined view, a table swapped for a view, a default operator class),
// and the server plans the statement again with that code when it runs.
// So a kept verdict is tied to the function catalog's generation it was
// made under (pgsql.Statement.JudgedUnder), and when the statement is
// bound, executed or EXECUTEd under a newer one, it is judged again from
// its text; when that cannot be done, it is refused as unknown. A cursor's
// plan is fixed when it is declared, yet a FETCH or MOVE under a newer
// generation is read-only only if every query declared under the cursor's
// name, judged again, still is.

// judgedText is what judging a kept statement again needs: the text it
// was classified from and the parameter types the client declared with
// it. A prepared statement and the portals bound from it share one, with
// the latest verdict, so a statement is judged again once per generation.
type judgedText struct {
	src      string   // the text classified
	prepare  string   // the SQL PREPARE in src whose statement is kept; "" for a Parse
	declared []uint32 // the parameter types the client declared in its Parse
	latest   atomic.Pointer[pgsql.Classification]
}

// judgedUnder returns the oldest generation cl's verdicts were made under.
func judgedUnder(cl *pgsql.Classification) uint64 {
	var g uint64
	for i := range cl.Statements {
		st := &cl.Statements[i]
		if i == 0 || st.JudgedUnder < g {
			g = st.JudgedUnder
		}
		if st.Prepared != nil && st.Prepared.JudgedUnder < g {
			g = st.Prepared.JudgedUnder
		}
	}
	return g
}

// current returns the verdict on a kept statement under the function
// catalog's current generation (its version is read when due, at most
// once per funcCatalogCheckEvery): cl when it was judged under it, or the
// statement judged again. Nil when it cannot be judged again.
func (c *conn) current(cl *pgsql.Classification, j *judgedText) *pgsql.Classification {
	if cl == nil || len(cl.Statements) == 0 {
		return cl // nothing to judge
	}
	gen := c.srv.procs.Current(c.ctx)
	if j != nil {
		if l := j.latest.Load(); l != nil {
			cl = l
		}
	}
	if judgedUnder(cl) == gen {
		return cl
	}
	if j == nil {
		return nil
	}
	out := c.judgeAgain(j)
	if out != nil {
		j.latest.Store(out)
	}
	return out
}

// judgeAgain classifies a kept statement's text again; nil when it no
// longer classifies as the statement kept.
func (c *conn) judgeAgain(j *judgedText) *pgsql.Classification {
	cl, err := c.srv.cls.Classify(j.src)
	if err != nil || cl == nil || len(cl.Statements) == 0 {
		return nil
	}
	if j.prepare != "" {
		var kept *pgsql.Statement
		for i := range cl.Statements {
			if st := &cl.Statements[i]; !st.Nested && st.PrepareName == j.prepare && st.Prepared != nil {
				kept = st.Prepared
				break
			}
		}
		if kept == nil {
			return nil
		}
		cl = &pgsql.Classification{Statements: []pgsql.Statement{*kept}}
	}
	if !c.srv.declaredTypesReadOnly(j.declared) {
		cl = notReadOnly(cl)
	}
	return cl
}

// cursorVerdicts are the DECLAREs a session's statements made, by cursor
// name, each as judged then: every one the gateway judged, run or
// refused, as a DECLARE the server refused must not hide the one it kept.
// A nil entry stands for more than maxRemembered: unknown.
type cursorVerdicts map[string][]*stmtInfo

// noteCursor remembers the DECLARE st.
func (c *conn) noteCursor(st *pgsql.Statement) {
	if st.Nested || !strings.EqualFold(st.Kind, "DECLARE") {
		return
	}
	name, ok := cursorName(st.Text)
	if !ok {
		return
	}
	if c.cursors == nil {
		c.cursors = cursorVerdicts{}
	}
	l := c.cursors[name]
	if len(l) >= maxCursorVerdicts || len(c.cursors) >= maxCursorVerdicts*maxCursorVerdicts {
		c.cursors[name] = []*stmtInfo{nil}
		return
	}
	c.cursors[name] = append(l, &stmtInfo{cl: &pgsql.Classification{Statements: []pgsql.Statement{*st}},
		j: &judgedText{src: st.Text}})
}

// maxCursorVerdicts bounds the DECLAREs remembered per name, and the names.
const maxCursorVerdicts = 64

// fetchStale marks a FETCH or MOVE not read-only when the catalog changed
// since a query declared under its cursor's name was judged and that
// query, judged again, is not read-only (or cannot be judged); it reports
// whether st changed.
func (c *conn) fetchStale(st *pgsql.Statement) bool {
	if len(c.cursors) == 0 || st.Nested || !st.ReadOnly {
		return false
	}
	if k := upperKind(st.Kind); k != "FETCH" && k != "MOVE" {
		return false
	}
	name, ok := cursorName(st.Text)
	if !ok {
		return false
	}
	for _, d := range c.cursors[name] {
		var cur *pgsql.Classification
		if d != nil {
			cur = c.current(d.cl, d.j)
			if cur == d.cl {
				continue // judged under the current generation
			}
		}
		readOnly := cur != nil
		for i := 0; cur != nil && i < len(cur.Statements); i++ {
			readOnly = readOnly && cur.Statements[i].ReadOnly
		}
		if !readOnly {
			st.ReadOnly, st.Volatile = false, true
			return true
		}
	}
	return false
}

// cursorName returns the cursor a DECLARE, FETCH or MOVE names.
func cursorName(text string) (string, bool) {
	tree, err := pgsql.Parse(text)
	if err != nil || len(tree.Stmts) != 1 {
		return "", false
	}
	n := tree.Stmts[0].Stmt
	if d := n.GetDeclareCursorStmt(); d != nil {
		return d.Portalname, true
	}
	if f := n.GetFetchStmt(); f != nil {
		return f.Portalname, true
	}
	return "", false
}
