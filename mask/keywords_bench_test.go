package mask

import (
	"strings"
	"testing"

	"github.com/coregx/ahocorasick"
)

// BenchmarkKeywords compares prefilters over the built-in secret keywords
// on clean text: the dense DFA of newAC and github.com/coregx/ahocorasick
// fed the lower, upper and title case of case-insensitive keywords (it has
// no case folding, so it does less work than the DFA).
func BenchmarkKeywords(b *testing.B) {
	in := benchText(1<<20, 1)
	kws := make([]string, len(secretKeywords))
	var variants []string
	for i, k := range secretKeywords {
		kws[i] = k.kw
		if k.exact {
			variants = append(variants, k.kw)
		} else {
			variants = append(variants, strings.ToLower(k.kw), strings.ToUpper(k.kw), strings.ToUpper(k.kw[:1])+k.kw[1:])
		}
	}
	dfa := newAC(kws)
	co, err := ahocorasick.NewBuilder().AddStrings(variants).Build()
	if err != nil {
		b.Fatal(err)
	}
	var buf []kwHit
	b.Run("dfa", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		defer cpuMetric(b, int64(len(in)))()
		for b.Loop() {
			buf = dfa.findAll(in, buf[:0])
		}
	})
	b.Run("coregx", func(b *testing.B) {
		b.SetBytes(int64(len(in)))
		defer cpuMetric(b, int64(len(in)))()
		for b.Loop() {
			co.FindAllOverlapping(in)
		}
	})
}
