package pgapproval

import (
	"fmt"
	"testing"
	"time"
)

// The memory of used approvals keeps every one until its expiry and
// drops expired ones as it grows, so it stays bounded by the approvals
// still valid.
func TestUsedApprovalsPruneExpired(t *testing.T) {
	t.Parallel()
	var u usedApprovals
	now := time.Now()
	for i := range 1000 {
		u.add(fmt.Sprint("old-", i), now.Add(-time.Second), now)
	}
	for i := range 10 {
		u.add(fmt.Sprint("live-", i), now.Add(time.Hour), now)
	}
	for i := range 10 {
		if !u.has(fmt.Sprint("live-", i)) {
			t.Fatalf("live-%d forgotten before its expiry", i)
		}
	}
	if n := len(u.used.entries); n > 200 {
		t.Fatalf("%d entries kept for 10 approvals still valid", n)
	}
}
