package mask

// Finds reports whether masking t whole, as Value does, would change it or
// fail: a detector matches t as it is or in one of the views it reads (t
// with its escapes decoded, without its markup), or an escape in t is
// padded beyond its bound. It allocates nothing when t holds no escape or
// markup. A caller that finds nothing may pass t on as it is; otherwise
// it masks t. A nil Policy finds nothing.
func (p *Policy) Finds(t []byte) bool {
	if p == nil || len(p.dets) == 0 {
		return false
	}
	if len(t) > p.e.maxVal {
		// Value fails on it: the caller's masking path reports the limit.
		return true
	}
	bp := spanPool.Get().(*[]span)
	c := p.candidates(t, true, (*bp)[:0])
	found := len(c) > 0
	*bp = c[:0]
	spanPool.Put(bp)
	return found
}

// HasMarkup reports whether t holds an HTML or XML tag or comment, which
// the detectors also read t without.
func HasMarkup(t []byte) bool { return hasMarkup(t) }
