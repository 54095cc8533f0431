package mask

import "slices"

// span is one candidate match in a scanned text.
type span struct {
	start, end int
	det        int  // index into Policy.dets
	overlong   bool // the candidate exceeds its bound; choosing it fails closed
}

// detector finds candidate matches. Every built-in and custom detector obeys
// one locality contract, which is what lets the stream masker produce the
// same output as the value masker for any chunking:
//
//   - a candidate [start, end) exists or not depending only on the bytes in
//     [start-ctxBefore, end+ctxAfter), with end-start <= maxLen(), and
//   - a detector reports every such candidate, at most one per start, whatever
//     precedes or follows that window.
//
// Overlaps between candidates are resolved afterwards, once, by resolve.
type detector interface {
	// find appends the candidates in s.t to out, tagging them with id.
	// When s.final is false the text may continue: candidates near the end
	// may be wrong and are discarded by the caller.
	find(s *scan, id int, out []span) []span
	// maxLen bounds the length of a candidate plus its look-ahead context.
	maxLen() int
}

// ctxBefore bounds how many bytes before a candidate any detector looks at
// (keywords of assignments, boundaries).
const ctxBefore = 256

// scan is the per-call state shared by detectors over one text.
type scan struct {
	t     []byte
	final bool
	kw    []kwHit // built-in keyword hits, computed on first use
	kwOK  bool
	eng   *Engine
	// memo of scan.valueEnd
	veFrom, veEnd int
	veOK          bool
	// memo of scan.b64URLEnd
	b64From, b64End int
	b64OK           bool
	// memo of scan.closerEnd
	clFrom, clEnd int
	clByte        byte
	clOK          bool
	// noWordJoins: the view has its markup stripped; the literals are
	// not read there as words joined (markupFreeCandidates).
	noWordJoins bool
	// the bytes t holds, once a detector asked (scan.bytes)
	seen   byteSet
	seenOK bool
}

// bytes returns the set of the bytes s.t holds, learnt on first use.
func (s *scan) bytes() *byteSet {
	if !s.seenOK {
		s.seenOK = true
		s.seen.add(s.t)
	}
	return &s.seen
}

func (s *scan) keywords() []kwHit {
	if !s.kwOK {
		s.kwOK = true
		s.kw = s.eng.builtinKW.findAll(s.t, s.kw[:0])
	}
	return s.kw
}

// runDetector is a detector that looks only at maximal runs of ASCII
// digits and their surroundings; the policy feeds every such detector from
// one pass over the text.
type runDetector interface {
	detector
	onRun(t []byte, start, end, id int, out []span) []span
}

// findRuns runs one runDetector on its own.
func findRuns(d runDetector, s *scan, id int, out []span) []span {
	t := s.t
	for i := nextDigit(t, 0); i < len(t); i = nextDigit(t, i) {
		e := digitRunEnd(t, i)
		out = d.onRun(t, i, e, id, out)
		i = e
	}
	return out
}

// resolve sorts candidates of t and keeps a non-overlapping set: the
// earliest start wins, then the longest, then the detector listed first; a
// later candidate that overlaps it and ends after it extends it.
func resolve(t []byte, c []span) []span {
	if len(c) == 0 {
		return c
	}
	slices.SortFunc(c, bySpan)
	if trimIntroducers(t, c) {
		slices.SortFunc(c, bySpan)
	}
	out := c[:0]
	covered := 0
	for _, x := range c {
		if x.end <= x.start {
			continue
		}
		if x.start < covered {
			// Overlapping matches (a value read in two views, a dump's
			// hex and its ASCII column) are masked as one: the tail of
			// the later one is no less sensitive.
			if x.end > covered {
				out[len(out)-1].end, covered = x.end, x.end
				out[len(out)-1].overlong = out[len(out)-1].overlong || x.overlong
			}
			continue
		}
		out = append(out, x)
		covered = x.end
	}
	return out
}

func bySpan(a, b span) int {
	if a.start != b.start {
		return a.start - b.start
	}
	if a.end != b.end {
		return b.end - a.end
	}
	return a.det - b.det
}

// trimIntroducers moves the start of a candidate that begins with a
// quoted-printable '=' (and markup only after it) to the start of another
// candidate that begins right after them. In "password:=41..." the
// decoded view reads "=41" as 'A' and the value from there, the raw text
// the value "41..." after ":="; the union masked the operator's '='. A
// lone '=' (or a tag) says nothing of the value, whose bytes the other
// candidate masks. c is sorted by start; it reports whether a start moved.
func trimIntroducers(t []byte, c []span) bool {
	moved := false
	for i := range c {
		x := &c[i]
		if at(t, x.start) != '=' {
			continue
		}
		for j := i + 1; j < len(c) && c[j].start < x.end; j++ {
			y := c[j]
			if y.start > x.start && y.end > y.start && (y.start == x.start+1 || y.start-x.start <= maxTrimMarkup && markupOnly(t[x.start+1:y.start])) {
				x.start = y.start
				moved = true
				break
			}
		}
	}
	return moved
}

// maxTrimMarkup bounds the markup trimIntroducers looks across.
const maxTrimMarkup = 128

// byte classes used by the hand-written scanners.
const (
	clDigit = 1 << iota
	clUpper
	clLower
	clHex
	clB64     // base64 and base64url alphabets, without '='
	clEmailL  // e-mail local part
	clEmailD  // e-mail domain
	clWord    // letters, digits, '_'
	clTokenCh // characters of API tokens: letters, digits, '_', '-'
	clDash    // '-' or '_'
	clHexRun  // what a hex run holds: hex digits and line breaks (encruns.go)
	clB32Run  // what a base32 run holds: its characters, in either case, and line breaks
)

var class [256]uint16

func init() {
	for c := 0; c < 256; c++ {
		var k uint16
		b := byte(c)
		switch {
		case b >= '0' && b <= '9':
			k |= clDigit | clHex | clB64 | clEmailL | clEmailD | clWord | clTokenCh
		case b >= 'A' && b <= 'Z':
			k |= clUpper | clB64 | clEmailL | clEmailD | clWord | clTokenCh
			if b <= 'F' {
				k |= clHex
			}
		case b >= 'a' && b <= 'z':
			k |= clLower | clB64 | clEmailL | clEmailD | clWord | clTokenCh
			if b <= 'f' {
				k |= clHex
			}
		}
		switch b {
		case '+', '/':
			k |= clB64
		case '-':
			k |= clB64 | clEmailD | clTokenCh | clEmailL
		case '_':
			k |= clB64 | clWord | clTokenCh | clEmailL
		case '.', '%':
			k |= clEmailL
		}
		if b == '.' {
			k |= clEmailD
		}
		if b == '+' {
			k |= clEmailL
		}
		if b == '-' || b == '_' {
			k |= clDash
		}
		if k&clHex != 0 || lineBreak(b) {
			k |= clHexRun
		}
		if b32Value(b) != 0xFF || lineBreak(b) {
			k |= clB32Run
		}
		class[c] = k
	}
}

func is(b byte, k uint16) bool { return class[b]&k != 0 }

func isDigit(b byte) bool { return b-'0' < 10 }

func isAlnum(b byte) bool { return class[b]&(clDigit|clUpper|clLower) != 0 }

// at returns t[i], or 0 outside t; 0 is a boundary for every scanner.
func at(t []byte, i int) byte {
	if i < 0 || i >= len(t) {
		return 0
	}
	return t[i]
}
