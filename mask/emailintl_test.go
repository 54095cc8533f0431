package mask

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestInternationalEmailGenerated is the generator of the family
// "internationalised addresses" (RFC 6531): local parts and domains in
// Latin with accents, Cyrillic, Greek, CJK, Devanagari (with marks) and
// Arabic, mixed with ASCII, written plain, in JSON and after text of
// another script, masked by Value and the stream masker: no part of the
// address comes through (before, a local part was cut at its first
// accented letter and a non-ASCII domain was not read at all).
func TestInternationalEmailGenerated(t *testing.T) {
	p := jsonPolicy(t, Config{}, "pii")
	scripts := []string{"éèüößñçå", "мариявлд", "αβγδεζηθ", "連絡先山田太郎", "नमस्तेहिंदी", "محمدعلي"}
	r := rand.New(rand.NewPCG(7, 9))
	word := func(alpha string, n int) string {
		rs := []rune(alpha)
		var b strings.Builder
		for range n {
			b.WriteRune(rs[r.IntN(len(rs))])
		}
		return b.String()
	}
	probes, leaks := 0, 0
	for _, sc := range scripts {
		for range 12 {
			local := word("abcdefgh", 2) + word(sc, 3+r.IntN(4))
			if r.IntN(2) == 0 {
				local = word(sc, 4) + "." + word("abcdefgh", 3)
			}
			domain := word(sc, 4+r.IntN(4)) + ".com"
			if r.IntN(3) == 0 {
				domain = "example.org"
			}
			addr := local + "@" + domain
			for _, text := range []string{"write to " + addr + " today", `{"mail":"` + addr + `"}`, word(sc, 3) + " " + addr + "," + word(sc, 2)} {
				for _, stream := range []bool{false, true} {
					probes++
					out, err := maskBytes(p, []byte(text), stream)
					if err != nil {
						t.Fatal(err)
					}
					if strings.Contains(string(out), "@") || strings.Contains(string(out), local[len(local)/2:]) {
						leaks++
						if leaks <= 5 {
							t.Logf("%q -> %q", text, out)
						}
					}
				}
			}
		}
	}
	if leaks > 0 {
		t.Errorf("%d of %d international addresses leak", leaks, probes)
	}
}

// TestInternationalEmailLeavesTextAlone: text in other scripts with an at
// sign that is no address keeps it.
func TestInternationalEmailLeavesTextAlone(t *testing.T) {
	p := jsonPolicy(t, Config{}, "pii")
	for _, text := range []string{"Цена: 5 € @ магазин", "会议 @ 三点", "café @ noon", "@名前 さん", "prix@ 5 €"} {
		out, _, err := p.Value("", text)
		if err != nil || out != text {
			t.Errorf("changed: %q -> %q (%v)", text, out, err)
		}
	}
}
