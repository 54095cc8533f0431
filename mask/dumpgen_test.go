package mask

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// dumpSecret returns a secret of a random kind.
func dumpSecret(r *rand.Rand) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	draw := func(alpha string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[r.IntN(len(alpha))]
		}
		return string(b)
	}
	switch r.IntN(5) {
	case 0:
		return randomCard(r)
	case 1:
		return draw("abcdefghijklmnopqrstuvwxyz", 3+r.IntN(6)) + "." + draw("abcdefghijklmnopqrstuvwxyz", 3+r.IntN(6)) + "@example.com"
	case 2:
		return "AKIA" + draw("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 15) + "7"
	case 3:
		return "ghp_" + draw(alnum, 36)
	}
	return fmt.Sprintf("%03d-%02d-%04d", 100+r.IntN(600), 10+r.IntN(89), 1000+r.IntN(8999))
}

// readDumpTokens decodes what is left of a dump in got, format-agnostic
// enough to see a secret's characters that stayed: for the character
// formats each field (a character, an escape, octal, an od -a name), for
// the word formats each group of four hex digits as a little-endian
// 16-bit word. Anything else (a mask token) reads as '#'.
func readDumpTokens(got string, words bool) string {
	var b strings.Builder
	for _, line := range strings.Split(got, "\n") {
		toks := strings.Fields(line)
		if len(toks) > 0 && line[0] != ' ' && len(toks[0]) >= 6 {
			toks = toks[1:] // the offset
		}
		for _, tk := range toks {
			switch {
			case words && len(tk) == 4:
				if v, err := hex.DecodeString(tk); err == nil {
					b.WriteByte(v[1])
					b.WriteByte(v[0])
					continue
				}
			case words:
			case len(tk) == 1:
				b.WriteString(tk)
				continue
			case len(tk) == 3 && strings.Trim(tk, "01234567") == "":
				v, _ := strconv.ParseUint(tk, 8, 8)
				b.WriteByte(byte(v))
				continue
			case tk == "**" || len(tk) == 2 && tk[0] == '\\':
				continue
			case charDumpNames[tk] != 0 || tk == "nul":
				continue // control characters: no secret holds one
			}
			b.WriteByte('#')
		}
	}
	return b.String()
}

// TestDumpFormatsGenerated is the generator of the family "a secret
// printed through a dump that prints a character a field, a byte in octal
// or a 16-bit word" (od -c, od -a, hexdump -c, od -b, hexdump -b, od -x,
// hexdump's default and -x): random
// secrets of five kinds after a prefix of random length (so they start at
// every place of a line and break across lines), through the real od and
// hexdump, Value and the stream masker. Nothing of the secret read back
// from the masked dump may hold eight of its bytes in a row.
func TestDumpFormatsGenerated(t *testing.T) {
	p := newPolicy(t, "all")
	r := rand.New(rand.NewPCG(53, 59))
	formats := []struct {
		args  []string
		words bool
	}{
		{[]string{"od", "-c"}, false}, {[]string{"od", "-An", "-c"}, false}, {[]string{"od", "-tc"}, false},
		{[]string{"od", "-a"}, false}, {[]string{"hexdump", "-c"}, false},
		{[]string{"od", "-x"}, true}, {[]string{"od", "-An", "-x"}, true}, {[]string{"od", "-tx2"}, true},
		{[]string{"hexdump"}, true}, {[]string{"hexdump", "-x"}, true},
		// Bytes in octal: read as characters are, three digits a field.
		{[]string{"od", "-b"}, false}, {[]string{"od", "-An", "-b"}, false}, {[]string{"hexdump", "-b"}, false},
	}
	bad, total := 0, 0
	for _, f := range formats {
		left := 0
		for range 25 {
			sec := dumpSecret(r)
			in := strings.Repeat("x", r.IntN(24)) + " " + sec + "\n"
			out := runDump(t, f.args, in)
			total++
			got, err := valueAndStream(p, string(out), total%len(out), len(out)/2)
			read := readDumpTokens(got, f.words)
			leak := err != nil
			for i := 0; i+8 <= len(sec) && !leak; i++ {
				leak = strings.Contains(read, sec[i:i+8])
			}
			if leak {
				left++
				if bad++; bad <= 10 {
					t.Errorf("%v of %q: %v\n%s->\n%s", f.args, sec, err, out, got)
				}
			}
		}
		t.Logf("%-16s %d of 25 secrets left", strings.Join(f.args, " "), left)
	}
	t.Logf("%d of %d secrets left", bad, total)
}

// TestCharDumpNoFalsePositives: text laid out in columns of spaces
// (indented code, aligned tables, a ps listing) is not read as a dump,
// and a dump of clean text masks nothing.
func TestCharDumpNoFalsePositives(t *testing.T) {
	p := newPolicy(t, "all")
	for _, in := range []string{
		"    if x {\n        return 1\n    }\n",
		"name   age   city\nann    34    Oslo\nbob    27    Rome\n",
		"  PID TTY          TIME CMD\n 4242 pts/0    00:00:00 bash\n",
		"   a   b   c   d   e   f   g\n",
	} {
		if got, _, err := p.Value("", in); err != nil || got != in {
			t.Errorf("%q -> %q, %v", in, got, err)
		}
	}
	cmd := exec.Command("od", "-c")
	cmd.Stdin = strings.NewReader("The quick brown fox jumps over the lazy dog, twice: 12 times.\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := p.Value("", string(out)); err != nil || got != string(out) {
		t.Errorf("%s -> %s, %v", out, got, err)
	}
}

// runDump runs the dump program args (od, xxd, hexdump) on in and
// returns what it printed.
func runDump(t *testing.T, args []string, in string) []byte {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin = strings.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return out
}
