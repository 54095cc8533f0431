package postgres

import (
	"sync"
	"sync/atomic"
)

// catalogView is one generation of the catalog's answers that sessions
// read on nearly every statement: the names of RowDescription fields and
// the owner's code map. Under the catalog's mutex the sessions queued
// behind each other for them (twice per transaction of a plain SELECT);
// a session finds them here without it.
//
// A generation has a view of its own: reset publishes a new, empty one
// (with the generation's number), so no answer of a generation the
// catalog has left is ever found in the current view. Answers are added
// under the mutex, as before; the view only serves those already there.
type catalogView struct {
	gen   uint64
	cols  sync.Map // [2]uint32 (table OID, attribute number) → columnName
	ncols int      // entries in cols; k.mu is held
	owner atomic.Pointer[ownerCode]
}

// cached returns the current view when the catalog's own test (fresh)
// would find nothing to do, without the mutex; nil otherwise (the caller
// takes the mutex and the catalog decides, as before). The view is read
// on both sides of the freshness test: the one returned was current at
// the instant the bound was read fresh. A view read before a reset and
// a bound its reset published would otherwise pass together.
func (k *catalog) cached() *catalogView {
	v := k.view.Load()
	if !k.until.fresh() || k.view.Load() != v {
		return nil
	}
	return v
}

// rememberColumn stores n under key in v, starting v's columns over when
// they hold maxCatalogEntries (as remember does); k.mu is held.
func (v *catalogView) rememberColumn(key [2]uint32, n columnName) {
	if _, ok := v.cols.Load(key); ok {
		return
	}
	if v.ncols >= maxCatalogEntries {
		v.cols.Clear()
		v.ncols = 0
	}
	v.cols.Store(key, n)
	v.ncols++
}
