package mask

// One line of a key's body alone. `sed -n 5p id_rsa`, repeated over the
// lines, rebuilds a key line by line, and no line of it has a neighbour
// to make a block (keybody.go). So a line of a key's width (64 or 70
// characters) standing alone is masked too when it reads as a key's body
// reads: base64 with capitals, small letters and digits, not hex, about
// as many different characters as random base64 holds (a key line has
// some forty, a long identifier some twenty), few small letters in a row
// and two capitals in a row somewhere (not words in camel case), and
// decoding to binary rather than text (base64 of text is left to the
// reading of encoded runs, which finds the values inside it). What else
// meets this is random bytes in base64 of that width: a SHA-384 digest in
// base64, a line of a certificate, a 48-byte random secret; they are
// masked too (TestKeyLineFalsePositives counts them).

// minKeyLineDistinct is how many different characters a lone line holds
// at least: random base64 of 64 characters holds about 40.6 (standard
// deviation about 2.7).
const minKeyLineDistinct = 30

// maxKeyLineLowerPairs is how many small letters a lone line holds at
// most right after a small letter: random base64 of 64 characters holds
// about ten (standard deviation about three), an identifier in camel case
// some forty. A key line also holds two capitals in a row somewhere (all
// but one random line in some 80,000), camel case seldom.
const maxKeyLineLowerPairs = 24

// loneKeyLine reports whether b, one line of pemLine or opensshLine
// characters, reads as a line of a key's body.
func loneKeyLine(b []byte) bool {
	if len(b) != pemLine && len(b) != opensshLine {
		return false
	}
	var up, lo, dg, nonHex bool
	var seen [256]bool
	distinct, lowerPairs, capPairs := 0, 0, 0
	for i, c := range b {
		switch {
		case c >= 'A' && c <= 'Z':
			up = true
			if i > 0 && is(b[i-1], clUpper) {
				capPairs++
			}
		case c >= 'a' && c <= 'z':
			lo = true
			if i > 0 && is(b[i-1], clLower) {
				lowerPairs++
			}
		case isDigit(c):
			dg = true
		case c == '+' || c == '/':
		default:
			return false // padding or other: not a full line of a body
		}
		if !is(c, clHex) {
			nonHex = true
		}
		if !seen[c] {
			seen[c] = true
			distinct++
		}
	}
	if !up || !lo || !dg || !nonHex || distinct < minKeyLineDistinct || lowerPairs > maxKeyLineLowerPairs || capPairs == 0 {
		return false
	}
	text, all := 0, 0
	eachDecodedByte(b, 0, len(b), 6, b64Value, func(_, _ int, c byte) bool {
		all++
		if textByte(c) {
			text++
		}
		return true
	})
	return text*8 < all*7
}
