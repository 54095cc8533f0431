package record

// nameMemo remembers the last few short names of one text found not to be
// secret names, so that a name met again (a JSON text repeats its keys) is
// ruled out by a comparison of two words instead of the name checks. A nil
// memo remembers nothing.
type nameMemo struct {
	names [8]uint64 // packed names (see packName); 0: none
	next  int       // where the next name goes, round the array
}

// packName returns the bytes of a name of 1 to 8 bytes in one word, and 0
// for a longer or empty name (not remembered). Name bytes are never 0, so
// two names pack alike only if they are equal.
func packName(name []byte) uint64 {
	if len(name) == 0 || len(name) > 8 {
		return 0
	}
	var w uint64
	for i := len(name) - 1; i >= 0; i-- {
		w = w<<8 | uint64(name[i])
	}
	return w
}

// has reports whether the packed name w was noted.
func (m *nameMemo) has(w uint64) bool {
	if m == nil || w == 0 {
		return false
	}
	n := &m.names
	return n[0] == w || n[1] == w || n[2] == w || n[3] == w || n[4] == w || n[5] == w || n[6] == w || n[7] == w
}

// add notes the packed name w, forgetting the oldest when the memo is
// full.
func (m *nameMemo) add(w uint64) {
	if m == nil || w == 0 {
		return
	}
	m.names[m.next] = w
	m.next = (m.next + 1) % len(m.names)
}
