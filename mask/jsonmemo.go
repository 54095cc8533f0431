package mask

import "sync"

// A JSON document repeats its texts: every object of an array holds the
// same keys, and often the same values (a status, a type, a currency).
// The detectors find the same in the same bytes (a candidate depends on
// the text alone, see detector), so a document remembers the short texts
// in which they found nothing and does not read them again.

// maxMemoText bounds the texts remembered, and maxMemoTexts how many one
// document remembers.
const (
	maxMemoText  = 64
	maxMemoTexts = 512
)

// cleanMemo is the set of texts of one document the detectors found
// nothing in: strings and keys as text, numbers as numbers (maskNumber
// also reads a number's decimal expansion), joined runs of members as
// text.
type cleanMemo struct {
	text, number map[string]struct{}
}

// noMemo remembers nothing.
var noMemo cleanMemo

var memoPool = sync.Pool{New: func() any {
	return &cleanMemo{text: map[string]struct{}{}, number: map[string]struct{}{}}
}}

// clean reports whether t is remembered in set (nil: none is).
func clean(set map[string]struct{}, t []byte) bool {
	if len(t) > maxMemoText || len(set) == 0 {
		return false
	}
	_, ok := set[string(t)]
	return ok
}

// remember adds t to set, if short and if set has room (nil: none).
func remember(set map[string]struct{}, t []byte) {
	if set != nil && len(t) <= maxMemoText && len(set) < maxMemoTexts {
		set[string(t)] = struct{}{}
	}
}

// release empties m and returns it to the pool.
func (m *cleanMemo) release() {
	clear(m.text)
	clear(m.number)
	memoPool.Put(m)
}
