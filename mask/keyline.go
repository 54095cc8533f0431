package mask

import "encoding/base64"

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
// deviation about 2.7; five below, so that about one random line in a
// few million is missed: at four, about one test run in thirty missed a
// line of its generated keys).
const minKeyLineDistinct = 26

// maxKeyLineLowerPairs is how many small letters a lone line holds at
// most right after a small letter: random base64 of 64 characters holds
// about ten (standard deviation about three, so six above), an identifier
// in camel case some forty. A line without two capitals in a row (one
// random line in some 80,000: too many to miss, camel case mostly) must
// also hold few small letters in a row (maxLowerPairsNoCapPair).
const maxKeyLineLowerPairs = 30

// maxLowerPairsNoCapPair is maxKeyLineLowerPairs for a line without two
// capitals in a row: about one standard deviation above random base64's
// mean, well below camel case's.
const maxLowerPairsNoCapPair = 14

// loneKeyLine reports whether b, one line of pemLine or opensshLine
// characters, reads as a line of a key's body.
func loneKeyLine(b []byte) bool {
	if len(b) != pemLine && len(b) != opensshLine {
		return false
	}
	if derPrivateKeyHead(b) {
		return true
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
	if !up || !lo || !dg || !nonHex || distinct < minKeyLineDistinct || lowerPairs > maxKeyLineLowerPairs || capPairs == 0 && lowerPairs > maxLowerPairsNoCapPair {
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

// derPrivateKeyHead reports whether the base64 line b starts a DER
// private key: a SEQUENCE whose first element is the version INTEGER 0 or
// 1 (PKCS#1 RSA and DSA, PKCS#8, SEC 1 EC keys). A key's first line is
// mostly that fixed header and reads too regular for the random test
// above; certificates and public keys start with a SEQUENCE inside the
// SEQUENCE instead, and are left.
func derPrivateKeyHead(b []byte) bool {
	var head [9]byte
	if n, err := base64.StdEncoding.Decode(head[:], b[:12]); err != nil || n != len(head) || head[0] != 0x30 {
		return false
	}
	i := 2 // past the tag and a short length
	switch head[1] {
	case 0x81:
		i = 3
	case 0x82:
		i = 4
	default:
		if head[1] > 0x7f {
			return false
		}
	}
	return head[i] == 0x02 && head[i+1] == 0x01 && head[i+2] <= 1
}
