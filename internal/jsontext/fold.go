package jsontext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// FoldKey is name folded so that two object keys fold alike exactly when
// encoding/json matches one to the other (it decodes keys without regard
// to case): every rune replaced by the smallest rune of its simple-folding
// orbit, then ASCII letters in lower case, so that a lower-case ASCII name
// is its own fold and is not copied. The Kelvin sign folds to k, the long
// s to s.
func FoldKey(name string) string {
	if isLowerASCII(name) {
		return name
	}
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range name {
		if r >= utf8.RuneSelf {
			r = smallestFold(r)
		}
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isLowerASCII reports whether s is ASCII without capitals.
func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return false
		}
	}
	return true
}

// smallestFold is the smallest rune of r's simple-folding orbit.
func smallestFold(r rune) rune {
	for {
		f := unicode.SimpleFold(r)
		if f <= r {
			return f
		}
		r = f
	}
}
