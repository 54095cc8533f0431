package record

// maxNestedValues bounds the values one rule takes from a text that end
// at the same byte: triggers inside one value ("key=key=key=…v") each
// start a value ending where it ends, and taking every one would keep
// copies whose sizes add up to the square of the run's length. Past the
// bound such a value is left to the replacement of the longer ones,
// which hides it where it stands.
const maxNestedValues = 8

// valueReader is value for a rule that reads values at many positions
// of one text: a value starting inside the last bare or quoted value it
// read ends where that one ended (the bytes between cannot end it), so a
// run of triggers inside one long value is walked once, not once per
// trigger. Its add takes at most maxNestedValues values ending at one
// byte.
type valueReader struct {
	t []byte
	// t[bareFrom:bareTo] holds no byte that ends a bare value (endsValue).
	bareFrom, bareTo int
	// t[quoteFrom:quoteTo] holds neither quote, a backslash nor a
	// newline: a value quoted with quote starting there ends at quoteTo.
	quote              byte
	quoteFrom, quoteTo int
	// lastEnd is where the values taken last end, nested how many were.
	lastEnd, nested int
}

// value is value(t, i) for t, the reader's text.
func (r *valueReader) value(t []byte, i int) ([]byte, bool) {
	if i >= len(t) {
		return nil, false
	}
	if q, start := valueOpening(t, i); q != 0 {
		if q != r.quote || start < r.quoteFrom || start > r.quoteTo {
			r.quote, r.quoteFrom, r.quoteTo = q, start, quotedEnd(t, start, q)
		}
		return t[start:r.quoteTo], true
	}
	if i < r.bareFrom || i >= r.bareTo {
		r.bareFrom, r.bareTo = i, bareEnd(t, i)
	}
	return t[i:r.bareTo], false
}

// add is addValue for v, a value read from the reader's text, unless
// maxNestedValues values ending where v ends were taken already.
func (r *valueReader) add(out []string, v []byte) []string {
	end := cap(r.t) - cap(v) + len(v) // v is r.t[a:b]: cap(v) is cap(r.t)-a
	if end == r.lastEnd {
		if r.nested >= maxNestedValues {
			return out
		}
		r.nested++
	} else {
		r.lastEnd, r.nested = end, 1
	}
	return addValue(out, v)
}
