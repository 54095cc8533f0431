package mask

// kwHit is one keyword occurrence: t[start:end] equals pattern id, ASCII
// case-insensitively.
type kwHit struct {
	start, end int
	id         int
}

// acMatcher is an Aho-Corasick automaton, compiled to a dense DFA over byte
// classes, that finds every occurrence (overlaps included) of a set of
// patterns, ASCII case-insensitively, in one pass. Detectors use it as the
// cheap prefilter before any validation runs.
type acMatcher struct {
	classOf  [256]uint8
	nclass   int
	trans    []int32 // state*nclass + class -> state
	out      [][]int32
	plen     []int
	npattern int
	// firstMatch is the smallest premultiplied id of a state with output.
	firstMatch int32
	start      int32
	maxPat     int
}

func foldByte(b byte) byte {
	if b >= 'A' && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}

// newAC builds the automaton. Empty patterns are ignored.
func newAC(patterns []string) *acMatcher {
	m := &acMatcher{npattern: len(patterns)}
	// Byte classes: one per distinct folded byte used by a pattern, plus
	// class 0 for everything else.
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			b := foldByte(p[i])
			if m.classOf[b] == 0 {
				m.nclass++
				m.classOf[b] = uint8(m.nclass)
			}
		}
	}
	m.nclass++
	for c := 'A'; c <= 'Z'; c++ {
		m.classOf[c] = m.classOf[c+'a'-'A']
	}
	// Trie.
	type node struct {
		next map[uint8]int32
		fail int32
		out  []int32
	}
	nodes := []node{{next: map[uint8]int32{}}}
	m.plen = make([]int, len(patterns))
	for id, p := range patterns {
		m.plen[id] = len(p)
		m.maxPat = max(m.maxPat, len(p))
		if p == "" {
			continue
		}
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := m.classOf[p[i]]
			nx, ok := nodes[s].next[c]
			if !ok {
				nodes = append(nodes, node{next: map[uint8]int32{}})
				nx = int32(len(nodes) - 1)
				nodes[s].next[c] = nx
			}
			s = nx
		}
		nodes[s].out = append(nodes[s].out, int32(id))
	}
	// Breadth-first failure links, then the dense table.
	m.trans = make([]int32, len(nodes)*m.nclass)
	queue := make([]int32, 0, len(nodes))
	for c := 0; c < m.nclass; c++ {
		if nx, ok := nodes[0].next[uint8(c)]; ok {
			nodes[nx].fail = 0
			m.trans[c] = nx
			queue = append(queue, nx)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		f := nodes[s].fail
		nodes[s].out = append(nodes[s].out, nodes[f].out...)
		for c := 0; c < m.nclass; c++ {
			if nx, ok := nodes[s].next[uint8(c)]; ok {
				nodes[nx].fail = m.trans[int(f)*m.nclass+c]
				m.trans[int(s)*m.nclass+c] = nx
				queue = append(queue, nx)
			} else {
				m.trans[int(s)*m.nclass+c] = m.trans[int(f)*m.nclass+c]
			}
		}
	}
	// Renumber states so that every state with an output comes last, and
	// premultiply ids by nclass: the hot loop then needs one load and one
	// compare per byte.
	order := make([]int32, 0, len(nodes))
	for i := range nodes {
		if len(nodes[i].out) == 0 {
			order = append(order, int32(i))
		}
	}
	m.firstMatch = int32(len(order) * m.nclass)
	for i := range nodes {
		if len(nodes[i].out) != 0 {
			order = append(order, int32(i))
		}
	}
	newID := make([]int32, len(nodes))
	for n, old := range order {
		newID[old] = int32(n)
	}
	dense := make([]int32, len(m.trans))
	m.out = make([][]int32, len(nodes))
	for n, old := range order {
		for c := 0; c < m.nclass; c++ {
			dense[n*m.nclass+c] = newID[m.trans[int(old)*m.nclass+c]] * int32(m.nclass)
		}
		m.out[n] = nodes[old].out
	}
	m.trans = dense
	m.start = newID[0] * int32(m.nclass)
	return m
}

// minLaneText is the shortest text findAll walks in lanes: below, the
// lanes' set-up and overlaps cost more than they save.
const minLaneText = 256

// findAll appends every occurrence in t to dst. Long texts are cut in four
// lanes, overlapping by the longest keyword, that are walked in the same
// loop: four independent chains of table loads run in parallel in the CPU
// where one chain would wait on each load. Hits come in lane order, each
// lane ordered by end position.
func (m *acMatcher) findAll(t []byte, dst []kwHit) []kwHit {
	if m == nil || m.firstMatch == int32(len(m.trans)) { // no patterns
		return dst
	}
	const lanes = 4
	if len(t) < minLaneText {
		_, dst = m.walk(t, 0, len(t), len(t), m.start, dst)
		return dst
	}
	q := len(t) / lanes
	trans, classOf, fm := m.trans, &m.classOf, m.firstMatch
	s0, s1, s2, s3 := m.start, m.start, m.start, m.start
	t0, t1, t2, t3 := t[:q], t[q:2*q], t[2*q:3*q], t[3*q:4*q]
	var extra [lanes - 1][]kwHit
	for i := 0; i < q; i++ {
		s0 = trans[s0+int32(classOf[t0[i]])]
		s1 = trans[s1+int32(classOf[t1[i]])]
		s2 = trans[s2+int32(classOf[t2[i]])]
		s3 = trans[s3+int32(classOf[t3[i]])]
		if max(s0, s1, s2, s3) >= fm {
			if s0 >= fm {
				dst = m.emit(s0, i, dst, 0, len(t))
			}
			if s1 >= fm {
				extra[0] = m.emit(s1, q+i, extra[0], q, len(t))
			}
			if s2 >= fm {
				extra[1] = m.emit(s2, 2*q+i, extra[1], 2*q, len(t))
			}
			if s3 >= fm {
				extra[2] = m.emit(s3, 3*q+i, extra[2], 3*q, len(t))
			}
		}
	}
	// Each lane continues past its end by up to maxPat-1 bytes to finish
	// keywords that start inside it; the last lane runs to the end of t.
	ov := m.maxPat - 1
	_, dst = m.walk(t, q, min(q+ov, len(t)), q, s0, dst)
	dst = append(dst, extra[0]...)
	_, dst = m.walk(t, 2*q, min(2*q+ov, len(t)), 2*q, s1, dst)
	dst = append(dst, extra[1]...)
	_, dst = m.walk(t, 3*q, min(3*q+ov, len(t)), 3*q, s2, dst)
	dst = append(dst, extra[2]...)
	_, dst = m.walk(t, 4*q, len(t), len(t), s3, dst)
	return dst
}

// walk continues the automaton from state s over t[from:to], reporting hits
// that start before startBefore.
func (m *acMatcher) walk(t []byte, from, to, startBefore int, s int32, dst []kwHit) (int32, []kwHit) {
	trans, classOf, fm := m.trans, &m.classOf, m.firstMatch
	for i := from; i < to; i++ {
		s = trans[s+int32(classOf[t[i]])]
		if s >= fm {
			dst = m.emit(s, i, dst, 0, startBefore)
		}
	}
	return s, dst
}

// emit appends the keywords ending at i in state s, starting in [lo, hi).
func (m *acMatcher) emit(s int32, i int, dst []kwHit, lo, hi int) []kwHit {
	for _, id := range m.out[s/int32(m.nclass)] {
		st := i + 1 - m.plen[id]
		if st >= lo && st < hi {
			dst = append(dst, kwHit{start: st, end: i + 1, id: int(id)})
		}
	}
	return dst
}
