package postgres

import (
	"sync/atomic"
	"time"
)

// freshUntil lets a catalog tell, with one clock read and no lock, that a
// call would find nothing to do: its answers are younger than their TTL
// and its version was compared less than a check interval ago. Every
// session asks the catalogs on every statement; under their mutex they
// queued behind each other, each call reading the clock two or three times.
//
// The bound is published under the catalog's mutex once a version check
// has completed (never while one is in flight: a caller then waits for
// it on the mutex, as before), and lowered before anything makes a check
// due. A caller that finds the bound passed takes the mutex and the
// catalog's own test decides, so the fast path only ever skips a call
// that would have returned at once.
type freshUntil struct {
	at atomic.Int64 // monoNow bound, exclusive; 0: no fast path
}

// monoBase is the origin of monoNow.
var monoBase = time.Now()

// monoNow is the monotonic clock in nanoseconds since monoBase: one clock
// read (time.Now reads the wall clock as well).
func monoNow() int64 { return int64(time.Since(monoBase)) }

// monoOf is t on monoNow's scale; t must carry a monotonic reading (a
// time.Now value) for the scale to be exact, and a zero t is far in the
// past.
func monoOf(t time.Time) int64 {
	if t.IsZero() {
		return -1 << 62
	}
	return int64(t.Sub(monoBase))
}

// set publishes the bound: answers loaded at loaded are kept while at
// most ttl old, and the version compared at checked is trusted for less
// than every. The caller holds the catalog's mutex.
func (f *freshUntil) set(loaded time.Time, ttl time.Duration, checked time.Time, every time.Duration) {
	f.at.Store(min(monoOf(loaded)+int64(ttl)+1, monoOf(checked)+int64(every)))
}

// clear removes the fast path until the next set.
func (f *freshUntil) clear() { f.at.Store(0) }

// fresh reports whether the catalog's own test would find nothing to do
// now.
func (f *freshUntil) fresh() bool { return f.freshAt(monoNow()) }

// freshAt is fresh at the monoNow reading now.
func (f *freshUntil) freshAt(now int64) bool { return now < f.at.Load() }
