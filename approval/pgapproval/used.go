package pgapproval

import (
	"sync"
	"time"
)

// usedApprovals remembers the approvals this Approver consumed, until
// they expire. A writer of the review table can set a consumed review
// back to approved (its seal, votes and expiry are still valid: they are
// the row as it was); the Approver that used it once does not use it
// again. Other replicas and a restarted process do not know it: see
// Options.SealKey.
type usedApprovals struct {
	mu   sync.Mutex
	used expiring[struct{}] // by review id
}

// has reports whether the approval of review id was consumed here.
func (u *usedApprovals) has(id string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.used.get(id) != nil
}

// add notes that the approval of review id, valid until expires, was
// consumed.
func (u *usedApprovals) add(id string, expires, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.used.add(id, expires, now)
}
