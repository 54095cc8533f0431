package mask

import (
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
