package pgapproval

import (
	"sync"
	"time"
)

// grantMemory remembers, until each grant expires, the uses this Approver
// took of it and the grants it revoked. A writer of the grant table can
// set a use count back or clear a revocation (the row's seal still
// verifies: neither is sealed); the Approver that took the uses or
// revoked the grant does not count on the table for them. Other replicas
// and a restarted process do not know them: see Options.SealKey.
type grantMemory struct {
	mu     sync.Mutex
	grants expiring[grantState] // by grant id
}

type grantState struct {
	uses    int // uses taken here
	max     int // the grant's bound on uses; 0 for none
	revoked bool
	// proven is true once the grant was proven here: max and expires
	// are its sealed bounds.
	proven  bool
	expires time.Time
}

// take notes one more use of grant id (its bound max, valid until
// expires) and reports whether the uses taken here stay within max.
func (m *grantMemory) take(id string, max int, expires, now time.Time) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.grants.add(id, expires, now)
	s.uses++
	s.max, s.expires = max, expires
	return !s.revoked && (max == 0 || s.uses <= max)
}

// revoke notes that grant id, valid until expires, was revoked here.
func (m *grantMemory) revoke(id string, expires, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.grants.add(id, expires, now).revoked = true
}

// spent reports whether grant id was revoked here or its uses taken here
// reached its bound.
func (m *grantMemory) spent(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.grants.get(id)
	return s != nil && (s.revoked || s.max > 0 && s.uses >= s.max)
}

// proven notes the sealed bounds of grant id, proven here: at most max
// uses (0: no bound), until expires.
func (m *grantMemory) proven(id string, max int, expires, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.grants.add(id, expires, now)
	s.proven, s.max, s.expires = true, max, expires
}

// bounds returns the sealed bounds of grant id when it was proven here.
func (m *grantMemory) bounds(id string) (max int, expires time.Time, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := m.grants.get(id); s != nil && s.proven {
		return s.max, s.expires, true
	}
	return 0, time.Time{}, false
}
