package mask

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// quickPieces are what the short texts of TestQuickReadingsAgree are made
// of: the bytes every view starts from, and the tokens of each view.
var quickPieces = []string{
	"%", "&", "\\", "=", "<", ">", "\"", "'", "[", "(", "{", "]", ")", "}", " ", "\x00", "\t", "\n",
	"%34", "&#52;", "&amp;", "\\u0034", "\\x34", "=34", "<b>", "<!--", "-->", "\" + \"", "' || '", "\",\"",
	"[at]", "(at)", "{dot}", " at ", " dot ", " DoT ", "@", ".", ",", ":", "-", "+", "/", "_",
	"4", "1", "52", "49", "0x34", "34", "3431", "four", "one", "chr(52)", "CHAR(49)",
	"NDEx", "MTEx", "MTIz", "NDU2", "GEZDGNBV", "4111", "1111", "example", "com", "Ada",
	"\u200b", "\u00ad", "é", "\xff", "\xe2\x80", "\U000e0041", "ｆ", "４",
}

// quickText is a random text of at most maxQuickText bytes of quickPieces
// and random bytes.
func quickText(r *rand.Rand) []byte {
	var b strings.Builder
	n := 1 + r.IntN(maxQuickText)
	for b.Len() < n {
		if r.IntN(8) == 0 {
			b.WriteByte(byte(r.IntN(256)))
			continue
		}
		b.WriteString(quickPieces[r.IntN(len(quickPieces))])
	}
	return []byte(b.String()[:min(b.Len(), maxQuickText)])
}

// TestQuickReadingsAgree holds the one-pass readings of short texts to
// the view-by-view ones, under policies with and without the keyword
// walk, the e-mail detector's words and the digit walk.
func TestQuickReadingsAgree(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	pol := func(names ...string) *Policy {
		p, err := e.Policy(names)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	policies := map[string]*Policy{
		"all":          testPolicy(t),
		"card+email":   pol("credit_card", "email"),
		"secrets-only": pol("credit_card").WithSecrets([]string{"s3cr3t-Tok3n-4111"})}
	r := rand.New(rand.NewPCG(7, 19))
	differ := 0
	for range 40000 {
		text := quickText(r)
		for name, p := range policies {
			var cp1, cp2 codeProber
			_, kf := p.plainScan(text, true, nil, &cp1)
			_, _ = p.plainScan(text, true, nil, &cp2)
			quick, all := p.quickReadings(text, kf, &cp1), p.allReadings(text, kf, &cp2)
			if quick != all {
				differ++
				if differ <= 5 {
					t.Errorf("%s: %q: quick %+v, all %+v", name, text, quick, all)
				}
			}
		}
	}
	if differ > 0 {
		t.Errorf("%d readings differ", differ)
	}
}

// TestHasJoinsReadsEveryQuote holds hasJoins, which skips most quotes
// unread, to joinAt asked at every byte, on texts dense in quotes and
// the operators between them.
func TestHasJoinsReadsEveryQuote(t *testing.T) {
	pieces := []string{`"`, `'`, `\"`, `\'`, `""`, `''`, "+", " + ", ".", ",", ", ", "||", " || ", ":", " ", "\n",
		"4111", "1111", "ab", "Ab", "x@", "=", "key", `"key": `, `\"k\":\"`, "[", "]", "{", "}"}
	r := rand.New(rand.NewPCG(11, 13))
	for range 200000 {
		var b strings.Builder
		for n := 1 + r.IntN(24); n > 0; n-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		text := []byte(b.String())
		var any, digits bool
		for i := range text {
			if _, d, ok := joinAt(text, i); ok {
				any, digits = true, digits || d
			}
		}
		if a, d := hasJoins(text); a != any || d != digits {
			t.Fatalf("%q: hasJoins %v %v, joinAt at every byte %v %v", text, a, d, any, digits)
		}
	}
}

// TestPieceClass holds pieceOf's table to the predicates it stands for.
func TestPieceClass(t *testing.T) {
	for b := range 256 {
		x := byte(b)
		c := pieceClass[b]
		end := x == '"' || x == '\'' || x == '\\'
		if c&pcEnd != 0 != end ||
			!end && (c&pcIn != 0 != (joinChar(x) || x == '=') ||
				c&pcValue != 0 != (isDigit(x) || x == '@') ||
				c&pcUpper != 0 != is(x, clUpper) ||
				c&pcLower != 0 != is(x, clLower)) {
			t.Errorf("pieceClass[%q] = %05b", x, c)
		}
	}
}

// TestKnownBytesReadingsAgree holds the readings of a long text whose
// bytes a literal's detector learnt (the classes read from the set) to
// the view-by-view ones (issue #19), under policies with and without
// literals, and the set's classes to the text's.
func TestKnownBytesReadingsAgree(t *testing.T) {
	e, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.Policy([]string{"credit_card", "email"})
	if err != nil {
		t.Fatal(err)
	}
	policies := map[string]*Policy{
		"all":          testPolicy(t).WithSecrets([]string{"upstream-secret-abcdef"}),
		"card+email":   p,
		"secrets-only": (*Policy)(nil).WithSecrets([]string{"s3cr3t-Tok3n-4111", "Bearer abc"})}
	r := rand.New(rand.NewPCG(19, 409))
	known := 0
	for n := range 6000 {
		var b []byte
		for len(b) <= maxQuickText || n%3 == 0 && len(b) < 400 {
			q := quickText(r)
			b = append(b, q[:min(len(q), 1+r.IntN(12))]...)
		}
		if n%5 == 0 {
			// A character dump (od -c), which only spaces start.
			const od = "0000000   u   p   s   t   r   e   a   m   -   s   e   c   r   e   t   -\n0000020   a   b   c   d   e   f\n"
			b = append(b, od[:r.IntN(len(od)+1)]...)
		}
		var set byteSet
		set.add(b)
		if got, want := set.quickClasses(), quickClasses(b); got != want {
			t.Fatalf("%q: the set's classes %06b, the text's %06b", b, got, want)
		}
		for name, p := range policies {
			var cp1, cp2 codeProber
			_, kf := p.plainScan(b, true, nil, &cp1)
			_, _ = p.plainScan(b, true, nil, &cp2)
			if kf.seenOK {
				known++
				if kf.seen != set {
					t.Fatalf("%s: %q: the scan's bytes %x, the text's %x", name, b, kf.seen, set)
				}
			}
			if got, want := p.readings(b, kf, &cp1), p.allReadings(b, kf, &cp2); got != want {
				t.Fatalf("%s: %q: readings %+v, view by view %+v", name, b, got, want)
			}
		}
	}
	if known < 6000 {
		t.Fatalf("only %d scans learnt their text's bytes", known)
	}
}
