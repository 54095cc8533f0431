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
	// version is a SettingsVersion that stands for the settings last
	// recorded (keys, vals), or 0.
	version SettingsVersion
}

// same reports whether m, which version stands for (0: nothing does),
// holds exactly the settings last recorded. The version of settings
// compared equal before answers at once; other settings are compared
// one by one: as many, each with its value (the keys are distinct), a
// lookup each, no walk of m. Settings found equal so leave their
// version standing for the recorded ones.
func (rs *recordedSettings) same(m map[string]string, version SettingsVersion) bool {
	if version != 0 && version == rs.version {
		return true
	}
	if !rs.sameAs(m) {
		return false
	}
	rs.version = version
	return true
}

// sameAs compares m with the settings last recorded, setting by setting.
func (rs *recordedSettings) sameAs(m map[string]string) bool {
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

// remember notes m, which version stands for (0: nothing does), as the
// settings last recorded.
func (rs *recordedSettings) remember(m map[string]string, version SettingsVersion) {
	rs.keys, rs.vals = make([]string, 0, len(m)), make([]string, 0, len(m))
	for k, v := range m {
		rs.keys = append(rs.keys, k)
		rs.vals = append(rs.vals, v)
	}
	rs.version = version
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
	if rs.same(req.SQL.Settings, req.SettingsVersion) {
		c := &requestWithSQL{r: *req, q: *req.SQL} // one allocation for both
		c.q.Settings = nil
		c.r.SQL = &c.q
		e.Request = &c.r
		return record(e)
	}
	if err := record(e); err != nil {
		return err
	}
	rs.remember(req.SQL.Settings, req.SettingsVersion)
	return nil
}

// requestWithSQL holds the copy of a request and of its SQL that a
// decision recorded without its settings points at.
type requestWithSQL struct {
	r Request
	q SQL
}
