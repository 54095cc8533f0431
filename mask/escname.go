package mask

import (
	"strings"
	"unicode/utf8"
)

// Named escapes. Python and Perl strings name a character instead of
// numbering it: "\N{DIGIT FOUR}" is "4", "\N{LATIN SMALL LETTER A}" is "a",
// "\N{COMMERCIAL AT}" is "@", and Perl's "\N{U+34}" numbers it after all.
// Python matches names in any case. The views read the names of the
// characters that make values: digits (of any script: "FULLWIDTH DIGIT
// FOUR" and "MATHEMATICAL BOLD DIGIT FOUR" read as "4", as the numeric
// detectors fold those digits anyway), letters ("... CAPITAL LETTER A",
// "... SMALL LETTER A") and the punctuation of addresses and numbers.

// maxNameLen bounds the name inside \N{...}; the longest name read,
// "MATHEMATICAL SANS-SERIF BOLD DIGIT SEVEN" and the like, is shorter.
const maxNameLen = 64

// namedPunct are the punctuation characters read by name.
var namedPunct = map[string]byte{
	"COMMERCIAL AT": '@', "FULL STOP": '.', "HYPHEN-MINUS": '-', "LOW LINE": '_', "SPACE": ' ',
	"LEFT PARENTHESIS": '(', "RIGHT PARENTHESIS": ')', "PLUS SIGN": '+', "SOLIDUS": '/', "COLON": ':',
	"COMMA": ',', "APOSTROPHE": '\'', "EQUALS SIGN": '=', "PERCENT SIGN": '%', "AMPERSAND": '&',
	"NUMBER SIGN": '#', "QUOTATION MARK": '"', "REVERSE SOLIDUS": '\\', "HYPHEN": '-', "DOT": '.',
	"PERIOD": '.', "AT": '@', "UNDERSCORE": '_',
}

// digitNames are the names of the digits, in order.
var digitNames = [...]string{"ZERO", "ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE"}

// namedEscapeAt decodes \N{NAME} or \N{U+HEX} at t[i]: it returns its
// length (0: none, or a name the views do not read) and the bytes it
// stands for in dst[:dn].
func namedEscapeAt(t []byte, i int, dst *[utf8.UTFMax]byte) (n, dn int, overlong bool) {
	j := i + 3
	end := -1
	for k := j; k < len(t) && k-j <= maxNameLen; k++ {
		if t[k] == '}' {
			end = k
			break
		}
		if t[k] < ' ' || t[k] >= utf8.RuneSelf {
			return 0, 0, false
		}
	}
	if end <= j {
		return 0, 0, false
	}
	name := strings.ToUpper(strings.Join(strings.Fields(string(t[j:end])), " "))
	if strings.HasPrefix(name, "U+") {
		return bracedHex(t, i, j+2, dst)
	}
	if c, ok := namedChar(name); ok {
		dst[0] = c
		return end + 1 - i, 1, false
	}
	return 0, 0, false
}

// namedChar reads a character name: a digit of any script, a letter of
// any alphabet whose name ends in one Latin letter, or namedPunct.
func namedChar(name string) (byte, bool) {
	if c, ok := namedPunct[name]; ok {
		return c, true
	}
	if k := strings.LastIndexByte(name, ' '); k > 0 {
		head, last := name[:k], name[k+1:]
		if head == "DIGIT" || strings.HasSuffix(head, " DIGIT") {
			for v, d := range digitNames {
				if last == d {
					return byte('0' + v), true
				}
			}
		}
		if len(last) == 1 && last[0] >= 'A' && last[0] <= 'Z' {
			switch {
			case strings.HasSuffix(head, "CAPITAL LETTER"):
				return last[0], true
			case strings.HasSuffix(head, "SMALL LETTER"):
				return last[0] + 'a' - 'A', true
			}
		}
	}
	return 0, false
}
