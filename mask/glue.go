package mask

// Tokens glued to their neighbours. `cat a b`, where a does not end with a
// line feed, prints 4294967295AKIAIOSFODNN7EXAMPLE; a column concatenated
// with another, a token pasted into an identifier or followed by more of
// its own alphabet does the same. A known prefix (AKIA, ghp_, sk_live_,
// xoxb-, AIza, glpat-...) with a full body is a token there too when the
// body looks drawn at random: two classes of letters and digits, six
// different characters or more, a letter beyond hex (not a word in
// capitals, a DNA sequence, a row of x, a hex digest). The body then ends
// at its longest length, and what follows stays. An access key ID's body
// is base32 besides; in lower case, where "asia" and "akia" stand in
// words, it takes only digits, '_' and '-' as glue. A JWT may also follow
// a dot that is not its own ("Done.eyJ...").

// minGlueDistinct is how many different characters the body of a glued
// token holds at least.
const minGlueDistinct = 6

// randomBody reports whether b looks drawn at random: letters or digits of
// two classes among upper case, lower case and digits, at least
// minGlueDistinct different bytes, and a letter beyond hex (ACCA in an
// upper-case hex digest is no key ID).
func randomBody(b []byte) bool {
	var up, lo, dg, nonHex bool
	var seen [256]bool
	n := 0
	for _, c := range b {
		switch {
		case is(c, clUpper):
			up = true
		case is(c, clLower):
			lo = true
		case isDigit(c):
			dg = true
		}
		if is(c, clUpper|clLower) && !is(c, clHex) {
			nonHex = true
		}
		if !seen[c] {
			seen[c] = true
			n++
		}
	}
	classes := 0
	for _, x := range []bool{up, lo, dg} {
		if x {
			classes++
		}
	}
	return classes >= 2 && n >= minGlueDistinct && nonHex
}

// glueRule says what a glued token must satisfy.
type glueRule uint8

const (
	// glueRandom: the body looks random (randomBody).
	glueRandom glueRule = iota
	// glueAWS: an access key ID's body is also base32 (A-Z, 2-7): it
	// spells the account in that alphabet, so 0, 1, 8 or 9 in it is a
	// longer identifier (ASIAPACIFIC2024...).
	glueAWS
	// glueAWSLower: glueAWS in lower case, and a letter on either side
	// is a longer word, not glue.
	glueAWSLower
)

// gluedOK reports whether a token body t[bs:be] after a prefix at
// t[ps:bs] may stand glued to what is before ps and after be.
func gluedOK(t []byte, ps, bs, be int, g glueRule) bool {
	l, r := at(t, ps-1), at(t, be)
	if !isB64URL(l) && !isB64URL(r) {
		return true
	}
	if g == glueAWSLower && (is(l, clUpper|clLower) || is(r, clUpper|clLower)) {
		return false
	}
	if g != glueRandom {
		for _, c := range t[bs:be] {
			if c == '0' || c == '1' || c == '8' || c == '9' {
				return false
			}
		}
	}
	return randomBody(t[bs:be])
}

// jwtPayload reports whether the "eyJ" at t[i], after a '.', is a later
// part of a token: the part before the dot starts with "eyJ" too, or
// runs back beyond ctxBefore. Otherwise the dot ends a sentence or a
// name the token is glued to ("Done.eyJ...").
func jwtPayload(t []byte, i int) bool {
	k := i - 1
	for k > 0 && i-k <= ctxBefore && isB64URL(t[k-1]) {
		k--
	}
	if i-k > ctxBefore {
		return true
	}
	return k+3 <= len(t) && string(t[k:k+3]) == "eyJ"
}
