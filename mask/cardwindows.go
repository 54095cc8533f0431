package mask

// Cards padded with digits. A run of more than maxGluedCardRun digits —
// a card with digits added on either side until the run looks like a
// decimal hash — holds the card as one of its windows of 13 to 19 digits.
// Every window with an issuer's prefix and length that passes Luhn is
// masked; the digits between such windows stay. The reading is local (a
// window is judged by its own digits), so the stream masker, which may see
// a long run in pieces, masks what Value masks.

// cardWindows appends the union of the card windows of the run
// t[start:end] as spans, in order. For each end of a window it walks the
// window's digits back once, summing Luhn as it goes: about 19 steps per
// digit of the run.
func cardWindows(t []byte, start, end, id int, out []span) []span {
	first := len(out)
	var d [19]byte
	for b := start + 13; b <= end; b++ {
		// The Luhn sum of t[a:b] for a from b-1 down: digits at an odd
		// distance from the last are doubled.
		sum, best := 0, -1
		for a := b - 1; a >= start && b-a <= 19; a-- {
			v := int(t[a] - '0')
			if (b-1-a)%2 == 1 {
				v *= 2
				if v > 9 {
					v -= 9
				}
			}
			sum += v
			l := b - a
			if l < 13 || sum%10 != 0 {
				continue
			}
			for k := range 6 {
				d[k] = t[a+k] - '0'
			}
			if cardIINLen(d[:6], l) {
				best = a
			}
		}
		if best < 0 {
			continue
		}
		// Merge with the spans of this run it overlaps or touches.
		for len(out) > first && out[len(out)-1].end >= best {
			best = min(best, out[len(out)-1].start)
			out = out[:len(out)-1]
		}
		out = append(out, span{start: best, end: b, det: id})
	}
	return out
}
