package mask

import (
	"sync"
	"sync/atomic"
)

// maxFieldMemo bounds the field names a Policy remembers: names come from
// clients (column aliases, JSON keys), so the memo stops growing rather than
// let a client fill memory; names past the bound are matched every time.
const maxFieldMemo = 4096

// fieldMemo remembers which field rule, if any, covers a field name. A
// Policy's field rules never change, so an entry never goes stale; the memo
// saves the glob matching (lower-casing and path.Match per rule) that a
// gateway otherwise repeats for the same columns on every result.
type fieldMemo struct {
	m sync.Map // field name -> *fieldRule (nil: no rule covers it)
	n atomic.Int32
}

func (m *fieldMemo) get(field string) (*fieldRule, bool) {
	v, ok := m.m.Load(field)
	if !ok {
		return nil, false
	}
	return v.(*fieldRule), true
}

func (m *fieldMemo) put(field string, f *fieldRule) {
	if m.n.Load() >= maxFieldMemo {
		return
	}
	if _, loaded := m.m.LoadOrStore(field, f); !loaded {
		m.n.Add(1)
	}
}
