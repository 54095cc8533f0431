package record

import "time"

// maxTextGaps bounds the gaps an encoder notes; past it, the rest of the
// event is scanned as it would be without gaps.
const maxTextGaps = 32

// textGaps are the parts of an event's JSON that the free-text scan of its
// JSON skips, in order and not overlapping: the base64 of its byte fields
// (scanned raw, from the fields themselves) and the fields the gateway
// writes in a fixed form that cannot hold text a client sent — event and
// decision kinds, times, durations, counts, booleans, the decision's id
// and rule-set version — each with its key. Every other field is scanned,
// so a field added to gate.Event is scanned until it is listed here on
// purpose.
type textGaps struct {
	s [maxTextGaps][2]int
	n int
}

// add notes b[start:end] as a gap, joined to the last one when they touch.
func (g *textGaps) add(start, end int) {
	if end <= start {
		return
	}
	if g.n > 0 && g.s[g.n-1][1] == start {
		g.s[g.n-1][1] = end
		return
	}
	if g.n < len(g.s) {
		g.s[g.n] = [2]int{start, end}
		g.n++
	}
}

// drop moves the gaps past b[at] back by one byte, b[at] being removed
// (closeObj dropping a comma); a gap holding it shrinks.
func (g *textGaps) drop(at int) {
	for i := range g.n {
		switch {
		case g.s[i][0] > at:
			g.s[i][0]--
			g.s[i][1]--
		case g.s[i][1] > at:
			g.s[i][1]--
		}
	}
}

// list returns the gaps.
func (g *textGaps) list() [][2]int { return g.s[:g.n] }

// fixed notes what the encoder wrote since start (a key and a value the
// gateway makes, see textGaps) as a gap of the free-text scan.
func (e *encoder) fixed(b []byte, start int) []byte {
	e.gaps.add(start, len(b))
	return b
}

// closeObj is closeObj for an object the encoder noted gaps or byte spans
// in: when the object's first comma is dropped, they move with the text.
func (e *encoder) closeObj(b []byte, start int) []byte {
	if len(b) > start && b[start] == ',' {
		e.gaps.drop(start)
		for i := range e.nspans {
			if e.spans[i][0] > start {
				e.spans[i][0]--
				e.spans[i][1]--
			}
		}
	}
	return closeObj(b, start)
}

// fixedTime writes key and t (see encoder.time) as a gap.
func (e *encoder) fixedTime(b []byte, key string, t time.Time) []byte {
	start := len(b)
	b = append(b, key...)
	return e.fixed(e.time(b, t), start)
}
