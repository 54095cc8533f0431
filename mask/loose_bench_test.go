package mask

import (
	"bytes"
	"strings"
	"testing"
)

// BenchmarkValueUnicode measures clean text that is not ASCII: accented
// Latin and CJK prose mixed with the clean corpus, where every non-ASCII
// rune passes the look-alike digit check.
func BenchmarkValueUnicode(b *testing.B) {
	p := benchPolicy(b)
	base := benchText(64<<10, 1)
	in := bytes.ReplaceAll(base, []byte(" the "), []byte(" thé 日本語の文章 – "))
	if _, f, _ := p.Value("", string(in)); f != nil {
		b.Fatalf("findings in the unicode corpus: %v", f)
	}
	benchValue(b, p, string(in))
}

// BenchmarkLooseWorstCase measures inputs that make every digit a group
// start of a long loose number.
func BenchmarkLooseWorstCase(b *testing.B) {
	p := benchPolicy(b)
	for _, c := range []struct{ name, unit string }{
		{"spaced", "1 "}, {"zwsp", "1\u200b"}, {"fullwidth", "１ "}, {"dots", "12.34."},
	} {
		s := strings.Repeat(c.unit, (64<<10)/len(c.unit))
		b.Run(c.name, func(b *testing.B) { benchValue(b, p, s) })
	}
}
