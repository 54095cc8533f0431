package record

// strSlab hands out disjoint pieces of one array of strings: the small
// slices the redaction of a request builds (the secrets it finds, the
// values it replaces whole, the MACs of a header's values, what the
// free-text search finds) come from one allocation rather than one, or
// several as they grow, each. A nil slab hands out new slices.
type strSlab struct {
	s []string
}

// strSlabSize is the strings of a slab: an HTTP decision with a credential
// header or two needs no more.
const strSlabSize = 16

// take returns n zero strings of the slab, capped at n so that appending
// to them moves them out rather than writing over the next piece; a new
// slice when the slab (nil: none) has not n left.
func (sl *strSlab) take(n int) []string {
	if sl == nil || n > cap(sl.s)-len(sl.s) {
		return make([]string, n)
	}
	i := len(sl.s)
	sl.s = sl.s[:i+n]
	return sl.s[i : i+n : i+n]
}

// room returns an empty slice with the capacity of n strings of the slab
// (nil when the slab, nil or not, has not n left), to append to.
func (sl *strSlab) room(n int) []string {
	if sl == nil || n > cap(sl.s)-len(sl.s) {
		return nil
	}
	return sl.take(n)[:0]
}
