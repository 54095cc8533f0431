package mcpgate

import (
	"net/url"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// skeleton folds a name or URI to the form two spellings of one thing share
// for a forgiving server: percent-decoded, compatibility-decomposed (NFKD:
// full-width letters become ASCII, accents come apart), without combining
// marks, format characters (zero-width), controls and spaces, lower-cased,
// with the Cyrillic and Greek letters that look like Latin ones replaced by
// them. It decides nothing alone: it finds spellings that collide.
func skeleton(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		s = u
	}
	s = norm.NFKD.String(s)
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), unicode.IsControl(r), unicode.Is(unicode.Mn, r), unicode.Is(unicode.Cf, r):
			continue
		}
		r = unicode.ToLower(r)
		if l, ok := lookalikes[r]; ok {
			r = l
		}
		b.WriteRune(r)
	}
	return b.String()
}

// lookalikes maps lower-case Cyrillic and Greek letters to the Latin letter
// they are mistaken for.
var lookalikes = map[rune]rune{
	'а': 'a', 'в': 'b', 'е': 'e', 'ё': 'e', 'к': 'k', 'м': 'm', 'н': 'h', 'о': 'o', 'р': 'p', 'с': 'c',
	'т': 't', 'у': 'y', 'х': 'x', 'і': 'i', 'ї': 'i', 'ј': 'j', 'ѕ': 's', 'ԁ': 'd', 'ԛ': 'q', 'ԝ': 'w',
	'ӏ': 'l', 'һ': 'h', 'ɡ': 'g', 'ɑ': 'a', 'ı': 'i',
	'α': 'a', 'β': 'b', 'ε': 'e', 'η': 'n', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't',
	'υ': 'u', 'χ': 'x', 'ω': 'w', 'ζ': 'z', 'μ': 'u',
}
