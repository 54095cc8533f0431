package shell

import (
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
)

// TestSedScriptAgainstSandbox: GNU sed's --sandbox refuses scripts with
// e, w and r commands. Every random script the scanner judges read-only
// must pass the real sed's sandbox.
func TestSedScriptAgainstSandbox(t *testing.T) {
	t.Parallel()
	sed, err := exec.LookPath("sed")
	if err != nil {
		t.Fatal("sed is required: ", err)
	}
	addrs := []string{"", "", "1", "$", "/a/", `\,x,`, "1,3", "/w/I", "2~3", "/e/,/w/"}
	cmds := []string{"p", "d", "w f", "W f", "e ls", "s/a/b/", "s/a/b/w f", "s/a/b/e", "s,a,b,g", "y/ab/cd/",
		"b end", ":end", "a text", "q", "{", "}", "l 5", "n", "s/w/e/2", "t x", "=", `s/a\/w/b/`, "s|e|w|gw f", "}w f"}
	seps := []string{";", "\n", " ; ", " "}
	r := rand.New(rand.NewPCG(7, 16))
	judged := 0
	for range 2000 {
		var b strings.Builder
		for k := range 1 + r.IntN(4) {
			if k > 0 {
				b.WriteString(seps[r.IntN(len(seps))])
			}
			b.WriteString(addrs[r.IntN(len(addrs))])
			if r.IntN(4) == 0 {
				b.WriteString("!")
			}
			b.WriteString(cmds[r.IntN(len(cmds))])
		}
		script := b.String()
		if !sedScriptReadOnly(script) {
			continue
		}
		judged++
		out, _ := exec.Command(sed, "--sandbox", "-n", "-e", script, "/dev/null").CombinedOutput()
		if strings.Contains(string(out), "sandbox") {
			t.Errorf("judged read-only, refused by sed --sandbox: %q: %s", script, out)
		}
	}
	if judged < 50 {
		t.Fatalf("only %d scripts judged read-only: the generator proves little", judged)
	}
}
