package gate

import "sync/atomic"

// The decision cache pays only when keys repeat. A hit saves deciding the
// cached rules; a miss costs building the key, looking it up and storing an
// entry, on top of deciding them. Under the 100 realistic rules of
// BenchmarkDecideTexts (callgrind, collector off), a decision costs about
// 27.7k instructions with the cache off, 6.0k on a hit and 32.8k on a
// miss: a hit saves about 21.7k, a miss costs about 5.1k, so keying pays
// when more than 5.1 / (5.1 + 21.7), about 19 %, of lookups hit. A miss
// also allocates its entry (1.0 kB more than deciding, in four more
// allocations): with the collector on, 34.6k, 10.3k and 41.9k, 23 %
// (BenchmarkDecide's one request gives 33.5k, 9.9k and 46.6k: 36 %). When every statement text is new (literals written
// inline, as agents and pgbench -M simple send them), every lookup misses
// and the cache costs about a fifth more than none.
//
// So each partition counts its lookups and hits in windows of
// cacheUseWindow lookups. When fewer than breakEvenHitPercent of a window's
// lookups hit, the partition rests: it decides its next requests without
// the cache (no key, no lookup, no entry: exactly the path of a rule set
// compiled WithoutDecisionCache), then keys again for a window to see
// whether it pays now. The break-even is 30 %, between the
// measurements: a partition with fewer rules saves less on a hit, one of
// rules run in the CEL interpreter far more, and a wrong choice near
// break-even costs little either way.
//
// A rest starts one window long and doubles after every window that does
// not pay, up to cacheUseMaxRest; a window that pays resets it. An empty
// cache (a rule set just loaded, a working set just changed) misses until
// it has stored what repeats, and rests store nothing, so short first rests
// let it warm up within a few windows. With every text new, the rests soon
// reach 32 windows: the windows of misses then add about 7k / 33 ≈ 0.2k
// instructions to a decision (under 1 % of deciding without the cache),
// and a stream that starts repeating itself waits at most cacheUseMaxRest
// decisions before the cache serves it again. The window is long enough
// that a stream at 50 % hits almost never (z = 4.5) looks like one below
// break-even.
//
// The counters only choose between two paths that give the same decision
// (TestDecisionCacheRestEqualsFresh), so they are atomics without locks and
// need not be exact under concurrency: a lookup counted in the next window,
// or a rest a few decisions shorter or longer, changes only the cost.
const (
	cacheUseWindow      = 128
	cacheUseMaxRest     = 32 * cacheUseWindow
	breakEvenHitPercent = 30
)

// cacheUse decides whether a partition's next request is looked up in the
// decision cache, from how often its recent lookups hit.
type cacheUse struct {
	// window and maxRest are cacheUseWindow and cacheUseMaxRest (tests
	// shrink them to go through many rests).
	window, maxRest int64
	// resting counts down the requests left to decide without the cache,
	// and rest is the length of the next rest.
	resting, rest atomic.Int64
	lookups, hits atomic.Int64
}

// setSizes sets the window and the longest rest (both above zero); the
// first rest is one window long.
func (u *cacheUse) setSizes(window, maxRest int64) {
	u.window, u.maxRest = window, maxRest
	u.rest.Store(window)
}

// keyed reports whether the next request is looked up in the cache, and
// counts a request decided without it.
func (u *cacheUse) keyed() bool {
	if u.resting.Load() <= 0 {
		return true
	}
	u.resting.Add(-1)
	return false
}

// record counts a lookup, and at the end of a window starts a rest when
// too few of its lookups hit.
func (u *cacheUse) record(hit bool) {
	if u.window <= 0 {
		return // sizes never set: never rests
	}
	if hit {
		u.hits.Add(1)
	}
	if u.lookups.Add(1)%u.window != 0 {
		return
	}
	if hits := u.hits.Swap(0); hits*100 >= u.window*breakEvenHitPercent {
		u.rest.Store(u.window)
		return
	}
	rest := u.rest.Load()
	u.resting.Store(rest)
	u.rest.Store(min(2*rest, u.maxRest))
}
