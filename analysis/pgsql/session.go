package pgsql

import (
	"slices"
	"sync"
)

// Session is what lineage needs from one session's history: the queries
// behind its cursors and SQL-level prepared statements. The zero value is
// ready; it is safe for concurrent use.
type Session struct {
	mu       sync.Mutex
	cursors  map[string][]*qQuery
	prepared map[string][]*qQuery
}

// maxRemembered bounds the queries remembered per name and the names.
const maxRemembered = 64

// remember adds q to what name may run. Names are only ever added to,
// never replaced: a DECLARE or PREPARE the server refused must not hide
// the query it kept.
func (s *Session) remember(cursor bool, name string, q *qQuery) {
	if q == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := &s.prepared
	if cursor {
		m = &s.cursors
	}
	if *m == nil {
		*m = map[string][]*qQuery{}
	}
	l := (*m)[name]
	if slices.Contains(l, q) {
		return
	}
	if len(l) >= maxRemembered || len(*m) >= 4*maxRemembered*maxRemembered {
		// Too much to follow: whatever runs under this name is unknown.
		(*m)[name] = []*qQuery{{kind: qOpaque}}
		return
	}
	(*m)[name] = append(l, q)
}

func (s *Session) plans(cursor bool, name string) []*qQuery {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cursor {
		return s.cursors[name]
	}
	return s.prepared[name]
}

// Remember records the cursor or prepared statement stmts[i] defines (a
// DECLARE, PREPARE, or an EXECUTE followed by the Nested entries of the
// statement it runs), so a later FETCH or EXECUTE follows its lineage.
func (s *Session) Remember(stmts []Statement, i int) {
	p := stmts[i].plan
	if p == nil {
		return
	}
	switch {
	case p.declare:
		s.remember(true, p.name, p.inner)
	case p.prepare:
		s.remember(false, p.name, p.inner)
	case p.kind == qExecute:
		// The proxy lists what EXECUTE runs right after it (a statement
		// prepared by SQL or by the extended protocol).
		for j := i + 1; j < len(stmts) && stmts[j].Nested; j++ {
			s.remember(false, p.name, stmts[j].plan)
		}
	}
}
