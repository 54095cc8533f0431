package record

// The values secretValuesInto replaced whole (the originals: a header, a
// named parameter, a body field) are each searched as the JSON string
// they are in the event as it came (see freeTextAsItCame). A session most
// often sends the same ones in every request (its Authorization header):
// what the search finds in a value depends on its bytes alone (and on the
// redactor's names, which never change), so the scan memory keeps, for
// the originals of the last decision, each value with what was found in
// it, and an equal value at the same place is not searched again. Its
// finds are the strings found the first time: nothing is copied again.

// The bounds of the memory of originals, per event kind.
const (
	maxMemoOriginals     = 16      // originals remembered
	maxMemoOriginalBytes = 4 << 10 // bytes of values and finds remembered
)

// memoOriginal is one original of an event and what the search found in
// it.
type memoOriginal struct {
	value string
	found []string
	set   bool // value and found hold an original
}

// recallOriginal appends to out the finds of original i when m (nil:
// none) holds v there, and reports whether it did.
func (m *scanMemo) recallOriginal(out []string, i int, v string) ([]string, bool) {
	if m == nil || i >= len(m.originals) {
		return out, false
	}
	mo := &m.originals[i]
	if !mo.set || mo.value != v {
		return out, false
	}
	return append(out, mo.found...), true
}

// noteOriginal makes v, found holding what the search found in it, the
// original i of m (nil: nothing), within the memory's bounds.
func (m *scanMemo) noteOriginal(i int, v string, found []string) {
	if m == nil || i >= maxMemoOriginals {
		return
	}
	for len(m.originals) <= i {
		m.originals = append(m.originals, memoOriginal{})
	}
	mo := &m.originals[i]
	if mo.set {
		m.origBytes -= originalSize(mo.value, mo.found)
	}
	clear(mo.found) // the finds it held go with it
	mo.value, mo.found, mo.set = "", mo.found[:0], false
	n := originalSize(v, found)
	if m.origBytes+n > maxMemoOriginalBytes {
		return
	}
	mo.value, mo.found, mo.set = v, append(mo.found, found...), true
	m.origBytes += n
}

// originalSize is what the memory counts of an original and its finds.
func originalSize(v string, found []string) int {
	n := len(v)
	for _, f := range found {
		n += len(f)
	}
	return n
}
