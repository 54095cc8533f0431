package gate

import (
	"reflect"
	"sync"
)

// recordedSettings is what a session last recorded of its requests' SQL
// settings (SQL.Settings). A PostgreSQL gateway sends two dozen with
// every request, the same ones but for a SET now and then; written into
// every decision they were a sixth of the gateway's work per statement.
// So a decision's record carries them only when they differ from the
// last ones recorded in its session: a decision recorded without them
// was judged under those.
type recordedSettings struct {
	mu         sync.Mutex
	keys, vals []string // a copy of the last recorded: the caller's map is not trusted
	// same is a map of settings equal to keys and vals that its session
	// promised never to write (Session.SettingsImmutable), or nil. Held
	// here, its address names no other map.
	same map[string]string
}

// unchanged reports whether m holds exactly the settings last recorded.
// immutable is the session's promise that it never writes m: then the
// very map found equal before answers at once. Other maps are compared
// setting by setting: as many, each with its value (the keys are
// distinct), a lookup each, no walk of m; one found equal under the
// promise is the map that answers next time.
func (rs *recordedSettings) unchanged(m map[string]string, immutable bool) bool {
	if immutable && rs.same != nil && sameMap(m, rs.same) {
		return true
	}
	if !rs.equal(m) {
		return false
	}
	if immutable {
		rs.same = m
	}
	return true
}

// sameMap reports whether a and b are one map.
func sameMap(a, b map[string]string) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// equal compares m with the settings last recorded, setting by setting.
func (rs *recordedSettings) equal(m map[string]string) bool {
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

// remember notes m as the settings last recorded; immutable as for
// unchanged.
func (rs *recordedSettings) remember(m map[string]string, immutable bool) {
	rs.keys, rs.vals = make([]string, 0, len(m)), make([]string, 0, len(m))
	for k, v := range m {
		rs.keys = append(rs.keys, k)
		rs.vals = append(rs.vals, v)
	}
	rs.same = nil
	if immutable {
		rs.same = m
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
	if rs.unchanged(req.SQL.Settings, s.SettingsImmutable) {
		c := &requestWithSQL{r: *req, q: *req.SQL} // one allocation for both
		c.q.Settings = nil
		c.r.SQL = &c.q
		e.Request = &c.r
		return record(e)
	}
	if err := record(e); err != nil {
		return err
	}
	rs.remember(req.SQL.Settings, s.SettingsImmutable)
	return nil
}

// requestWithSQL holds the copy of a request and of its SQL that a
// decision recorded without its settings points at.
type requestWithSQL struct {
	r Request
	q SQL
}
