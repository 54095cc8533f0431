package mask

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDumpFormatsMeasured measures the family "a secret printed as a dump
// in a result or a body" (the masker sees only the dump text): every
// secret kind through xxd, xxd -p, hexdump -C, od -An -tx1, od -c and
// od -x (16-bit words, little-endian), hexdump's default (the same
// words). Every format must be read (TestDumpFormatsGenerated goes
// further).
func TestDumpFormatsMeasured(t *testing.T) {
	p := newPolicy(t, "all")
	secrets := []string{"4111111111111111", "ann.lee@example.com", "AKIAIOSFODNN7EXAMPLE",
		"ghp_" + strings.Repeat("aB3dE5gH7j", 3) + "K1mN2p", "536-22-8714"}
	dumps := []struct {
		name string
		args []string
		read bool // must be read
	}{
		{"xxd", []string{"xxd"}, true},
		{"xxd -p", []string{"xxd", "-p"}, true},
		{"hexdump -C", []string{"hexdump", "-C"}, true},
		{"od -An -tx1", []string{"od", "-An", "-tx1"}, true},
		{"od -c", []string{"od", "-c"}, true},
		{"od -x", []string{"od", "-x"}, true},
		{"hexdump", []string{"hexdump"}, true},
	}
	for _, d := range dumps {
		left := 0
		for _, s := range secrets {
			cmd := exec.Command(d.args[0], d.args[1:]...)
			cmd.Stdin = strings.NewReader("row: " + s + "\n")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: %v", d.name, err)
			}
			got, _, err := p.Value("", string(out))
			if err == nil && got == string(out) {
				left++
				if d.read {
					t.Errorf("%s of %q not masked:\n%s", d.name, s, out)
				}
			}
		}
		t.Logf("%-12s %d of %d secrets left", d.name, left, len(secrets))
	}
}
