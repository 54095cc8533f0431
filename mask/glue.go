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
		digit := false
		for _, c := range t[bs:be] {
			if c == '0' || c == '1' || c == '8' || c == '9' {
				return false
			}
			digit = digit || isDigit(c)
		}
		if !digit {
			return lettersKeyID(t[bs:be], l, r)
		}
	}
	return randomBody(t[bs:be])
}

// commonBigrams are the hundred pairs of letters met most in English
// text, most frequent first.
const commonBigrams = "TH HE IN ER AN RE ON AT EN ND TI ES OR TE OF ED IS IT AL AR " +
	"ST TO NT NG SE HA AS OU IO LE VE CO ME DE HI RI RO IC NE EA RA CE LI CH LL " +
	"BE MA SI OM UR CA EL TA LA NS DI FO HO PE EC PR NO CT US AC OT IL TR LY NC " +
	"ET UT SS SO RS UN LO WA GE IE WH EE WI EM AD OL RT PO WE NA UL NI TS MO OW " +
	"PA IM MI AI SH"

// wordBigram[a][b] reports whether the letters a, b (0 to 25) are one of
// commonBigrams.
var wordBigram = func() (m [26][26]bool) {
	for i := 0; i+1 < len(commonBigrams); i += 3 {
		m[commonBigrams[i]-'A'][commonBigrams[i+1]-'A'] = true
	}
	return m
}()

// maxKeyIDWordBigrams is how many of a body's fifteen pairs of letters may
// be common in English for sixteen letters glued to letters of their own
// case to read as drawn at random: sixteen random letters hold four or
// fewer nine times in ten, sixteen letters of words in capitals
// (PACIFICHEADQUART) about one time in a hundred and fifty
// (TestKeyIDLettersGenerated).
const maxKeyIDWordBigrams = 4

// lettersKeyID reports whether an access key ID's body of letters only
// (one key ID in about thirty: sixteen base32 characters without a digit)
// stands glued to l before its prefix and r after it. The body must hold
// minGlueDistinct different letters and one beyond hex. A neighbour of
// another class (a digit, a lower-case letter after capitals, '_', '-')
// marks where the key ID ends, as in "4294967295AKIA..."; a neighbour of
// the body's own case leaves a run of letters, words in capitals
// (SOUTHEASTASIAPACIFIC...) unless few of the body's pairs of letters are
// common in words.
func lettersKeyID(b []byte, l, r byte) bool {
	var seen [256]bool
	distinct, nonHex := 0, false
	for _, c := range b {
		if !seen[c] {
			seen[c] = true
			distinct++
		}
		nonHex = nonHex || !is(c, clHex)
	}
	if distinct < minGlueDistinct || !nonHex {
		return false
	}
	caseOf := uint16(clUpper)
	if is(b[0], clLower) {
		caseOf = clLower
	}
	if !is(l, caseOf) && !is(r, caseOf) {
		return true
	}
	common := 0
	for i := 0; i+1 < len(b); i++ {
		if wordBigram[(b[i]|0x20)-'a'][(b[i+1]|0x20)-'a'] {
			common++
		}
	}
	return common <= maxKeyIDWordBigrams
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
