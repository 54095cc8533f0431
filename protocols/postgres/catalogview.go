package postgres

import (
	"maps"
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
	gen uint64
	// cols holds the generation's column names (table OID, attribute
	// number); k.mu is held. read is a copy of it published for lookups
	// without the mutex, never written once published: copied again
	// once lookups under the mutex since the last copy number as many as
	// cols's entries (each copy is paid for by as many locked lookups),
	// dropped when cols starts over.
	cols   map[[2]uint32]columnName
	read   atomic.Pointer[map[[2]uint32]columnName]
	misses int // lookups under the mutex since read was copied; k.mu is held
	owner  atomic.Pointer[ownerCode]
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

// cachedColumn returns the name of key from the published copy.
func (v *catalogView) cachedColumn(key [2]uint32) (columnName, bool) {
	m := v.read.Load()
	if m == nil {
		return columnName{}, false
	}
	n, ok := (*m)[key]
	return n, ok
}

// lockedColumn returns the name of key from cols, counting the lookup
// (see cols); k.mu is held.
func (v *catalogView) lockedColumn(key [2]uint32) (columnName, bool) {
	n, ok := v.cols[key]
	v.missed()
	return n, ok
}

// rememberColumn stores n under key, starting cols over (and dropping
// its copy) when it holds maxCatalogEntries, as remember does; k.mu is
// held.
func (v *catalogView) rememberColumn(key [2]uint32, n columnName) {
	if v.cols == nil || len(v.cols) >= maxCatalogEntries {
		v.startOver()
	}
	v.cols[key] = n
	v.missed()
}

// startOver forgets the columns and their copy; k.mu is held.
func (v *catalogView) startOver() {
	v.cols = map[[2]uint32]columnName{}
	v.read.Store(nil)
	v.misses = 0
}

// missed counts a lookup under the mutex and publishes a new copy of cols
// when they paid for it; k.mu is held.
func (v *catalogView) missed() {
	v.misses++
	if v.misses < len(v.cols) {
		return
	}
	m := maps.Clone(v.cols)
	v.read.Store(&m)
	v.misses = 0
}
