package pgapproval

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
)

// reportEvery is how often one unproven row or vote is logged again.
const reportEvery = time.Hour

// reporter tells the operator about rows and votes that do not verify and
// are left out (a forged grant, a forged vote beside genuine ones): a log
// line (Options.Logger) the first time each is met, then at most once per
// reportEvery, and a count (Approver.UnprovenSeen).
type reporter struct {
	log  hclog.Logger
	n    atomic.Uint64
	mu   sync.Mutex
	seen expiring[struct{}] // by what, until it may be logged again
}

// unproven reports what (a grant, a vote) left out for err; then says
// what becomes of it.
func (r *reporter) unproven(what string, err error, then string) {
	now := time.Now()
	r.mu.Lock()
	fresh := r.seen.claim(what, now.Add(reportEvery), now)
	r.mu.Unlock()
	if !fresh {
		return
	}
	r.n.Add(1)
	if r.log != nil {
		r.log.Error("pgapproval: a row of the review tables is not this approver's writing (written or changed by someone without the seal key)",
			"what", what, "error", err, "then", then)
	}
}
