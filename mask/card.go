package mask

// cardDetector finds payment card numbers: 13 to 19 digits, contiguous or
// grouped with single spaces or dashes, whose prefix belongs to a known
// network (Visa, Mastercard, American Express, Discover, Diners Club, JCB,
// UnionPay) with a length that network issues, and that pass Luhn.
//
// A candidate starts at any digit group (so "ref 12 4111 1111 1111 1111"
// still yields the card) and ends at the end of a group; digits glued to
// either end disqualify it. Disguised cards (look-alike digits, other
// separators, reversed) are found by the loose scanner (loose.go).
type cardDetector struct{}

func (cardDetector) maxLen() int { return looseMaxLen } // the loose scanner (loose.go) bounds every candidate

func (d cardDetector) find(s *scan, id int, out []span) []span { return findRuns(d, s, id, out) }

func (cardDetector) onRun(t []byte, start, end, id int, out []span) []span {
	if end-start > 19 {
		return gluedCard(t, start, end, id, out)
	}
	var d [19]byte
	n := 0
	best := -1
	a, b := start, end
	for {
		for k := a; k < b; k++ {
			if n == 19 {
				n = 20
				break
			}
			d[n] = t[k] - '0'
			n++
		}
		if n > 19 {
			break
		}
		if n >= 13 && cardIIN(d[:n]) && luhnValid(d[:n]) {
			best = b
		}
		// Next group: one separator, then digits.
		if b+1 < len(t) && (t[b] == ' ' || t[b] == '-') && isDigit(t[b+1]) {
			a = b + 1
			b = digitRunEnd(t, a)
			continue
		}
		break
	}
	if best > 0 {
		return append(out, span{start: start, end: best, det: id})
	}
	if end-start > 13 {
		return gluedCard(t, start, end, id, out)
	}
	return out
}

// maxGluedCardRun bounds the digit runs masked whole for a card glued to
// other digits: a timestamp of fourteen digits on either side of a
// nineteen-digit card. Longer runs are masked where a card can stand
// (cardWindows).
const maxGluedCardRun = 38

// gluedCard masks the run t[start:end] of more than 13 digits when a
// window of it is a card: 13 to 19 digits with an issuer's prefix and
// length that pass Luhn. '9' || pan || '9' in SQL, an order number and a
// card concatenated, or a card between two timestamps print a card glued
// to digits, and which digits are glue cannot be told: a run of up to
// maxGluedCardRun digits goes whole; in a longer one (a card padded with
// digits), every window that is a card goes. A run of random digits holds
// such a window often (about one in four of nineteen or twenty digits,
// four in ten of two timestamps glued, nearly every one of forty digits
// and more: TestGluedCardFalsePositives).
func gluedCard(t []byte, start, end, id int, out []span) []span {
	if end-start > maxGluedCardRun {
		return cardWindows(t, start, end, id, out)
	}
	var d [maxGluedCardRun]byte
	for k := start; k < end; k++ {
		d[k-start] = t[k] - '0'
	}
	n := end - start
	for a := 0; a+13 <= n; a++ {
		for l := 13; l <= 19 && a+l <= n; l++ {
			if cardIIN(d[a:a+l]) && luhnValid(d[a:a+l]) {
				return append(out, span{start: start, end: end, det: id})
			}
		}
	}
	return out
}

// cardIIN checks the issuer prefix and the length the issuer uses.
func cardIIN(d []byte) bool { return cardIINLen(d, len(d)) }

// cardIINLen checks the issuer prefix d[:6] of a card of n digits.
func cardIINLen(d []byte, n int) bool {
	p2 := int(d[0])*10 + int(d[1])
	p3 := p2*10 + int(d[2])
	p4 := p3*10 + int(d[3])
	p6 := p4*100 + int(d[4])*10 + int(d[5])
	switch {
	case d[0] == 4: // Visa
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720: // Mastercard
		return n == 16
	case p2 == 34 || p2 == 37: // American Express
		return n == 15
	case p4 == 6011, p3 >= 644 && p3 <= 649, p2 == 65, p6 >= 622126 && p6 <= 622925: // Discover
		return n >= 16 && n <= 19
	case p3 >= 300 && p3 <= 305, p2 == 36, p2 == 38, p2 == 39: // Diners Club
		return n >= 14 && n <= 19
	case p4 >= 3528 && p4 <= 3589: // JCB
		return n >= 16 && n <= 19
	case p2 == 62, p2 == 81: // UnionPay
		return n >= 16 && n <= 19
	}
	return false
}
