package shell

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/internal/gatetest"
)

// Pieces of the locale generator: characters whose UTF-8 encodings end in
// every continuation byte (so some end in a lead byte of each multibyte
// character set), and the syntax a swallowed byte could hide or reveal.
var (
	genWide   = wideChars()
	genSyntax = []string{"\\;", "\\|", "\\&", "`", "\\\"", "\"", "'", "\\\\", "\\ ", ";", "|", "\\`", "\\$", "{", "}", "\\\n"}
)

// wideChars returns two- and three-byte characters covering every last
// byte 0x80–0xBF.
func wideChars() []string {
	var out []string
	for _, base := range []rune{0x00c0, 0x4e00, 0xac00} {
		for r := base; r < base+64; r++ {
			out = append(out, string(r))
		}
	}
	return out
}

// generateWide builds a script of cat f with arguments mixing wide
// characters and syntax, then a command that must not run unseen.
func generateWide(r *rand.Rand) string {
	var b strings.Builder
	b.WriteString("cat f ")
	for n := 1 + r.IntN(4); n > 0; n-- {
		switch r.IntN(3) {
		case 0:
			b.WriteString(genWide[r.IntN(len(genWide))])
		case 1:
			b.WriteString(genSyntax[r.IntN(len(genSyntax))])
		default:
			b.WriteString(genWide[r.IntN(len(genWide))] + genSyntax[r.IntN(len(genSyntax))])
		}
	}
	b.WriteString(" rm -f g ; touch g")
	if r.IntN(3) == 0 {
		return "LC_ALL=" + gatetest.MultibyteLocales[r.IntN(len(gatetest.MultibyteLocales))] + "\n" + b.String()
	}
	return b.String()
}

// TestLocaleDifferential runs generated scripts with wide characters next
// to shell syntax in bash under each multibyte locale (set for the session,
// or by the script's own first line), with logging stubs for programs:
// any program bash ran that the analyser did not list, in a script it
// neither refused nor declared unknowable, fails.
func TestLocaleDifferential(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs shells")
	}
	shells := realShells(t)
	locpath := gatetest.BuildMultibyteLocales(t)
	dir := t.TempDir()
	bin := stubDir(t, dir, shells)
	r := rand.New(rand.NewPCG(11, 2026))
	refused, judged := 0, 0
	for i := 0; i < 600; i++ {
		script := generateWide(r)
		s, err := Parse(script)
		if err != nil {
			refused++
			continue
		}
		if s.Dynamic && !s.ReadOnly {
			continue
		}
		judged++
		locale := gatetest.MultibyteLocales[i%len(gatetest.MultibyteLocales)]
		for _, p := range runEnv(t, shells["bash"], bin, dir, script, "LOCPATH="+locpath, "LC_ALL="+locale) {
			if !slices.Contains(s.Programs, p) {
				t.Errorf("bash in %s ran %q for %q; analyser listed %q (read_only=%v)", locale, p, script, s.Programs, s.ReadOnly)
			}
		}
	}
	if refused == 0 || judged < 100 {
		t.Fatalf("%d refused, %d judged: the generator probes nothing", refused, judged)
	}
}

// TestCharsetDependentBytesRefused lists the shapes directly: a wide
// character before a backslash or a backquote is refused (also inside a
// nested script), anything else with wide characters is read.
func TestCharsetDependentBytesRefused(t *testing.T) {
	for _, c := range []string{
		"cat f 中\\; rm g", "cat \"中\\\" ; rm g ; echo \"\"", "cat f é`ls`", "sh -c 'cat f 中\\; rm g'",
		"sh -c 'cat f '\"中\"'\\; rm g'", "LC_ALL=zh_CN.GBK\ncat f 丁\\; rm g", "cat 한\\\nrm g",
	} {
		if _, err := Parse(c); !errors.Is(err, ErrCommand) || !strings.Contains(err.Error(), "non-ASCII") {
			t.Errorf("%q: %v", c, err)
		}
	}
	for _, c := range []string{"cat 中文.txt", "grep 'é' f", "echo 中 \\; ls", "cat \"中\" `ls`", "ls 中/"} {
		if _, err := Parse(c); err != nil {
			t.Errorf("%q refused: %v", c, err)
		}
	}
}
