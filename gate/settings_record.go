package gate

import "sync"

// recordedSettings is what a session last recorded of its requests' SQL
// settings (SQL.Settings). A PostgreSQL gateway sends two dozen with
// every request, the same ones but for a SET now and then; written into
// every decision they were a sixth of the gateway's work per statement.
// So a decision's record carries them only when they differ from the
// last ones recorded in its session: a decision recorded without them
// was judged under those.
type recordedSettings struct {
	mu         sync.Mutex
	keys, vals []string // a copy of the last recorded: the caller's map is not kept
}

// same reports whether m holds exactly the settings last recorded: as
// many, each with its value (the keys are distinct). A lookup each, no
// walk of m: this runs with every decision that has settings.
func (rs *recordedSettings) same(m map[string]string) bool {
	if rs.keys == nil || len(m) != len(rs.keys) {
		return false
	}
	for i, k := range rs.keys {
		if v, ok := m[k]; !ok || v != rs.vals[i] {
			return false
		}
	}
	return true
}

// remember notes m as the settings last recorded.
func (rs *recordedSettings) remember(m map[string]string) {
	rs.keys, rs.vals = make([]string, 0, len(m)), make([]string, 0, len(m))
	for k, v := range m {
		rs.keys = append(rs.keys, k)
		rs.vals = append(rs.vals, v)
	}
}

// recordSettingsOnce records the decision event e of s, its request's
// SQL settings left out when they are those s last recorded; a session
// OpenSession did not open records them every time. The lock is
// held while recording so that two decisions of one session cannot be
// recorded in an order other than the one this choice assumed; only
// requests with settings take it. The settings count as recorded only
// once the recorder accepted the event.
func (s *Session) recordSettingsOnce(e Event, record func(Event) error) error {
	req := e.Request
	rs := s.settings
	if rs == nil || req == nil || req.SQL == nil || len(req.SQL.Settings) == 0 {
		return record(e)
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.same(req.SQL.Settings) {
		c := &requestWithSQL{r: *req, q: *req.SQL} // one allocation for both
		c.q.Settings = nil
		c.r.SQL = &c.q
		e.Request = &c.r
		return record(e)
	}
	if err := record(e); err != nil {
		return err
	}
	rs.remember(req.SQL.Settings)
	return nil
}

// requestWithSQL holds the copy of a request and of its SQL that a
// decision recorded without its settings points at.
type requestWithSQL struct {
	r Request
	q SQL
}
