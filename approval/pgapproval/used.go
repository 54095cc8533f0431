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
	mu    sync.Mutex
	until map[string]time.Time // review id -> its sealed expiry
	prune int                  // size at which expired entries are dropped
}

// used reports whether the approval of review id was consumed here.
func (u *usedApprovals) used(id string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	_, ok := u.until[id]
	return ok
}

// add notes that the approval of review id, valid until expires, was
// consumed. Entries past their expiry are dropped now and then: a review
// set back to approved after its expiry approves nothing anyway.
func (u *usedApprovals) add(id string, expires time.Time, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.until == nil {
		u.until = make(map[string]time.Time)
	}
	if len(u.until) >= u.prune {
		for k, t := range u.until {
			if !now.Before(t) {
				delete(u.until, k)
			}
		}
		u.prune = max(2*len(u.until), 64)
	}
	u.until[id] = expires
}
