package pgapproval

import "time"

// expiring is a map by id of entries that matter only until their row's
// sealed expiry: entries past it are dropped now and then as the map
// grows (a row set back after its expiry allows nothing anyway). It does
// not lock; its owner does.
type expiring[T any] struct {
	entries map[string]*expiringEntry[T]
	pruneAt int // size at which expired entries are dropped
}

type expiringEntry[T any] struct {
	val     T
	expires time.Time
}

// get returns the entry of id, or nil.
func (e *expiring[T]) get(id string) *T {
	if x, ok := e.entries[id]; ok {
		return &x.val
	}
	return nil
}

// add returns the entry of id, made (valid until expires) when missing.
func (e *expiring[T]) add(id string, expires, now time.Time) *T {
	if x, ok := e.entries[id]; ok {
		return &x.val
	}
	if e.entries == nil {
		e.entries = make(map[string]*expiringEntry[T])
	}
	if len(e.entries) >= e.pruneAt {
		for k, x := range e.entries {
			if !now.Before(x.expires) {
				delete(e.entries, k)
			}
		}
		e.pruneAt = max(2*len(e.entries), 64)
	}
	x := &expiringEntry[T]{expires: expires}
	e.entries[id] = x
	return &x.val
}

// claim reports whether id has no entry valid at now; when it has none,
// it gets one, valid until expires.
func (e *expiring[T]) claim(id string, expires, now time.Time) bool {
	if x, ok := e.entries[id]; ok {
		if now.Before(x.expires) {
			return false
		}
		delete(e.entries, id)
	}
	e.add(id, expires, now)
	return true
}
