package mask

import (
	"strconv"
	"strings"
	"testing"
)

// codeCalls are the calls of languages and databases that turn one code
// point into a character, written around each code and joined: what
// spells a value code by code beyond chr(), CHAR() and fromCharCode().
var codeCalls = []struct{ name, pre, post, join string }{
	{"js-fromCodePoint", "String.fromCodePoint(", ")", "+"},
	{"js-fromCodePoint-each", "String.fromCodePoint(", ")", " + "},
	{"py2-unichr", "unichr(", ")", "+"},
	{"tsql-nchar", "NCHAR(", ")", "+"},
	{"go-rune", "string(rune(", "))", "+"},
	{"go-byte", "string(byte(", "))", "+"},
	{"php-mb_chr", "mb_chr(", ")", "."},
	{"vb-chrb", "ChrB(", ")", " & "},
	{"vb-chrw$", "ChrW$(", ")", " & "},
	{"cs-convert", "Convert.ToChar(", ")", "+"},
	{"java-toChars", "new String(Character.toChars(", "))", "+"},
	{"java-toString", "Character.toString(", ")", "+"},
	{"java-valueOf", "String.valueOf((char)", ")", "+"},
	{"ruby-chr", "", ".chr", " + "},
	{"ps-char", "[char]", "", "+"},
	{"lua-char", "string.char(", ")", ".."},
	{"perl-chr", "chr(", ")", "."},
}

// TestCodeCallsGenerated is the generator of the family "a value spelled
// from code points by calls": every call of codeCalls around every code
// of each sample value, masked by Value and by the stream masker.
func TestCodeCallsGenerated(t *testing.T) {
	p := jsonPolicy(t, Config{}, "all")
	values := []string{"4111111111111111", "ann.lee@example.com", "AKIAIOSFODNN7EXAMPLE", "123-45-6789",
		"ghp_16C7e42F292c6912E7710c838347Ae178B4a", "DE89370400440532013000"}
	probes, leaks := 0, 0
	for _, c := range codeCalls {
		for _, v := range values {
			parts := make([]string, 0, len(v))
			for _, b := range []byte(v) {
				parts = append(parts, c.pre+strconv.Itoa(int(b))+c.post)
			}
			text := "x = " + strings.Join(parts, c.join) + ";\n"
			for _, stream := range []bool{false, true} {
				probes++
				out, err := maskBytes(p, []byte(text), stream)
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if string(out) == text {
					if leaks++; leaks <= 10 {
						t.Errorf("%s (stream %v): %.80q... unmasked", c.name, stream, text)
					}
				}
			}
		}
	}
	t.Logf("%d of %d values spelled by calls left", leaks, probes)
}
