package pgsql

import (
	"context"
	"sync"
	"time"
	"unsafe"
)

// callMemo remembers the catalog's verdict on a statement's call list, so
// a statement the classifier serves from its cache is not judged call by
// call again. A list is known by the identity of its backing array: cached
// classifications share theirs, and the memo holding the pointer keeps the
// array (and so its address) from being reused. An entry lives while the
// catalog's generation holds and for at most callMemoAge, so the catalog's
// own reloads (stale after its TTL, or a name it did not know) still
// happen within that age of when they would without the memo.
type callMemo struct {
	mu      sync.Mutex
	gen     uint64
	started int64 // memoNow when the entries began; the zero value is older than any
	m       map[callsKey][3]bool
}

// memoBase is the origin of memoNow.
var memoBase = time.Now()

// memoNow reads the monotonic clock only (time.Now reads the wall clock
// too), in nanoseconds since memoBase.
func memoNow() int64 { return int64(time.Since(memoBase)) }

type callsKey struct {
	p *funcName
	n int
}

// callMemoAge bounds how long a verdict is reused.
const callMemoAge = time.Second

// callMemoSize bounds the entries; the memo starts over when full.
const callMemoSize = 4096

// verdict returns k.verdict of calls, from the memo when it holds it.
func (c *callMemo) verdict(ctx context.Context, k *funcJudge, calls []funcName) (volatile, heavy, writes bool) {
	key := callsKey{unsafe.SliceData(calls), len(calls)}
	gen := k.cat.Generation()
	now := memoNow()
	c.mu.Lock()
	if c.gen != gen || now-c.started > int64(callMemoAge) || len(c.m) >= callMemoSize {
		c.gen, c.started, c.m = gen, now, nil
	}
	v, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return v[0], v[1], v[2]
	}
	volatile, heavy, writes = k.verdict(ctx, calls, 0)
	// A verdict taken while the catalog changed is not kept.
	if k.cat.Generation() == gen {
		c.mu.Lock()
		if c.gen == gen {
			if c.m == nil {
				c.m = make(map[callsKey][3]bool)
			}
			c.m[key] = [3]bool{volatile, heavy, writes}
		}
		c.mu.Unlock()
	}
	return volatile, heavy, writes
}
