package mask

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// cleanDumpFormats are every dump format the dump generators know (the
// character, octal-byte and word formats) plus xxd's and hexdump's
// defaults and canonical forms.
func cleanDumpFormats() [][]string {
	all := [][]string{
		{"od", "-c"}, {"od", "-An", "-c"}, {"od", "-tc"}, {"od", "-a"}, {"hexdump", "-c"},
		{"od", "-x"}, {"od", "-An", "-x"}, {"od", "-tx2"}, {"hexdump"}, {"hexdump", "-x"},
		{"od", "-b"}, {"od", "-An", "-b"}, {"hexdump", "-b"},
		{"xxd"}, {"xxd", "-u"}, {"xxd", "-p"}, {"hexdump", "-C"}, {"od", "-tx1"}, {"od", "-An", "-tx1"},
		{"od", "-tx1z"}, {"od", "-tu4"}, {"od", "-td1"}, {"od", "-td2"}, {"od", "-td4"}, {"od", "-td8"}, {"od", "-tu8"},
		{"xxd", "-i"}, {"xxd", "-g", "2"}, {"xxd", "-d"},
	}
	for _, f := range wordDumpFormats {
		all = append(all, f.args)
	}
	return all
}

// cleanDumpInputs are clean inputs of three kinds: prose and logs
// (benchText), random printable ASCII, and random bytes.
func cleanDumpInputs(r *rand.Rand) []string {
	var in []string
	for i := range 3 {
		in = append(in, string(benchText(300+r.IntN(400), uint64(100+i))))
	}
	for range 3 {
		b := make([]byte, 200+r.IntN(300))
		for i := range b {
			b[i] = byte(' ' + r.IntN(95))
		}
		in = append(in, string(b))
	}
	for range 4 {
		b := make([]byte, 200+r.IntN(300))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		in = append(in, string(b))
	}
	return in
}

// TestDumpsCleanGenerated is the generator of the family "a dump of clean
// data over-masked": every format of cleanDumpFormats through the real
// od, xxd and hexdump, over clean prose, printable ASCII and random
// bytes, through Value and the stream masker. A dump of clean data must
// come back byte for byte.
func TestDumpsCleanGenerated(t *testing.T) {
	p := newPolicy(t, "all")
	r := rand.New(rand.NewPCG(71, 73))
	inputs := cleanDumpInputs(r)
	bad, total := 0, 0
	for _, f := range cleanDumpFormats() {
		changed := 0
		for k, in := range inputs {
			out := runDump(t, f, in)
			total++
			got, err := valueAndStream(p, string(out), total%len(out), len(out)/3)
			if err != nil || got != string(out) {
				changed++
				if bad++; bad <= 4 {
					t.Errorf("%v of input %d: %v\n%s", f, k, err, diffLines(string(out), got))
				}
			}
		}
		if changed > 0 {
			t.Logf("%-28s %d of %d clean dumps changed", strings.Join(f, " "), changed, len(inputs))
		}
	}
	t.Logf("%d of %d clean dumps changed", bad, total)
}

// diffLines returns the lines of a and b that differ, at most five.
func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var s strings.Builder
	n := 0
	for i := 0; i < len(al) && i < len(bl) && n < 5; i++ {
		if al[i] != bl[i] {
			s.WriteString("- " + al[i] + "\n+ " + bl[i] + "\n")
			n++
		}
	}
	return s.String()
}

// dumpLikeCarriers print numbers in shapes near a dump's: numbered lists
// with zero-padded ids (an offset column), lists of one or two a line,
// cards in groups of four, a card cut into lines of eight digits, and a
// fake dump line of a card with od's last offset after it. Each puts the
// numbers of nums on lines.
var dumpLikeCarriers = []struct {
	name string
	f    func(nums []string) string
}{
	{"padded ids", func(n []string) string {
		var b strings.Builder
		for i, x := range n {
			fmt.Fprintf(&b, "%07d %s\n", i+1, x)
		}
		return b.String()
	}},
	{"padded ids, groups of four", func(n []string) string {
		var b strings.Builder
		for i, x := range n {
			fmt.Fprintf(&b, "%07o %s\n", 16*i, groupsOf(x, 4))
		}
		return b.String()
	}},
	{"hex ids with colon, groups of four", func(n []string) string {
		var b strings.Builder
		for i, x := range n {
			fmt.Fprintf(&b, "%08x: %s\n", 16*i, groupsOf(x, 4))
		}
		return b.String()
	}},
	{"list", func(n []string) string { return strings.Join(n, "\n") + "\n" }},
	{"list, groups of four", func(n []string) string {
		var b strings.Builder
		for _, x := range n {
			b.WriteString(groupsOf(x, 4) + "\n")
		}
		return b.String()
	}},
	{"two a line", func(n []string) string {
		var b strings.Builder
		for i := 0; i+1 < len(n); i += 2 {
			fmt.Fprintf(&b, "%s %s\n", n[i], n[i+1])
		}
		return b.String()
	}},
	{"lines of eight digits", func(n []string) string {
		var b strings.Builder
		for _, x := range n {
			for i := 0; i < len(x); i += 8 {
				b.WriteString(x[i:min(i+8, len(x))] + "\n")
			}
		}
		return b.String()
	}},
	{"fake od line", func(n []string) string {
		var b strings.Builder
		for _, x := range n {
			fmt.Fprintf(&b, "0000000 %s\n0000020\n", groupsOf(x, 4))
		}
		return b.String()
	}},
}

// groupsOf cuts s into groups of n joined by spaces.
func groupsOf(s string, n int) string {
	var g []string
	for i := 0; i < len(s); i += n {
		g = append(g, s[i:min(i+n, len(s))])
	}
	return strings.Join(g, " ")
}

// TestDumpLikeNumbersStayMasked is the other side of
// TestDumpsCleanGenerated: cards printed in shapes near a dump's
// (dumpLikeCarriers) are masked still, every digit of each.
func TestDumpLikeNumbersStayMasked(t *testing.T) {
	p := newPolicy(t, "all")
	r := rand.New(rand.NewPCG(79, 83))
	bad, total := 0, 0
	for _, c := range dumpLikeCarriers {
		for range 20 {
			nums := make([]string, 4)
			for i := range nums {
				nums[i] = randomCard(r)
			}
			in := c.f(nums)
			total++
			got, err := valueAndStream(p, in, total%len(in), len(in)/2)
			leak := err != nil
			for _, x := range nums {
				for i := 0; i+6 <= len(x) && !leak; i++ {
					leak = strings.Contains(strings.ReplaceAll(strings.ReplaceAll(got, " ", ""), "\n", ""), x[i:i+6]) && strings.Contains(strings.ReplaceAll(strings.ReplaceAll(in, " ", ""), "\n", ""), x)
				}
			}
			if leak {
				if bad++; bad <= 5 {
					t.Errorf("%s: %v\n%s->\n%s", c.name, err, in, got)
				}
			}
		}
	}
	t.Logf("%d of %d dump-like card lists left a card's digits", bad, total)
}
