package sshgate

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// terminalRedraws are command lines run with a terminal (ssh -tt) and the
// keys typed into them: a pager or a full-screen program draws what it
// read in pieces the keys choose (a line scrolled sideways by a few
// columns, a screen redrawn from a column, a pager's | or ! running a
// command the gate never judged), so a masker reading the stream sees a
// cut card, not a card. {F} is the card file.
var terminalRedraws = []struct{ cmd, keys string }{
	{"less -S -#33 {F}", "\x1b)q"},
	{"less -S -#31 {F}", "\x1bOCq"},
	{"less -S -#16 {F}", "\x1bOC\x1bOCq"},
	{"less -S -#11 {F}", "\x1b)\x1b)\x1b)q"},
	{"less -R -S -#33 {F}", "\x1b)q"},
	{"less -F -X -S -#33 {F}", "\x1b)q"},
	{"cat {F} | less -S -#33", "\x1b)q"},
	{"timeout 20 less -S -#33 {F}", "\x1b)q"},
	{"less {F}", "|$ tr 0-9 a-j\rq"},
	{"less {F}", "!tr 0-9 a-j < {F}\rq"},
	{"more {F}", "!tr 0-9 a-j < {F}\r q"},
}

// TestMaskedTerminalExecRefused: under a decision that masks results, an
// exec with a terminal is refused like an interactive shell: what a
// pager or a full-screen program prints is chosen by keys the gate
// never judges. The control gateway (masking, no refusal) shows the
// card reaching the client in pieces or translated.
func TestMaskedTerminalExecRefused(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	file := filepath.Join(t.TempDir(), "cards.txt")
	if err := os.WriteFile(file, []byte(strings.Repeat("x", 30)+transformCard+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, up, maskedReadRules)
	control := startGateway(t, up, maskedReadRules, func(c *Config) { c.AllowMaskedTransforms = true })
	tty := func(gw *gateway, cmd string) []string {
		return append(append([]string{"-tt"}, sshArgs(gw.addr, gw.agent, "-p")...), "--", "TERM=xterm "+cmd)
	}
	// What the card looks like cut: 11 or more of its digits, in order,
	// perhaps with the drawing's escapes between them.
	cut := regexp.MustCompile(`1(\x1b\[[0-9;?]*[A-Za-z]|[\r\n])*1{10}`)
	leaked := func(out string) bool {
		return cut.MatchString(strings.ReplaceAll(out, "[CREDIT_CARD]", "")) || strings.Contains(untr(out), transformCard)
	}
	var leaks atomic.Int64
	eachConcurrently(len(terminalRedraws), 4, func(i int) {
		tc := terminalRedraws[i]
		cmd := strings.ReplaceAll(tc.cmd, "{F}", file)
		keys := strings.ReplaceAll(tc.keys, "{F}", file)
		if r := run(t, keys, "ssh", tty(g, cmd)...); r.code != ExitRefused || leaked(r.stdout) {
			t.Errorf("%s: not refused: %q", cmd, r.stdout)
		}
		if c := run(t, keys, "ssh", tty(control, cmd)...); leaked(c.stdout) {
			leaks.Add(1)
		}
	})
	// Without a terminal the same read is masked and served.
	if r := g.ssh(g.agent, nil, "less -S "+file); r.code != 0 || !strings.Contains(r.stdout, "[CREDIT_CARD]") || leaked(r.stdout) {
		t.Errorf("less without a terminal: %+v", r)
	}
	t.Logf("%d of %d terminal redraws carried the card past the masker on the control gateway", leaks.Load(), len(terminalRedraws))
	if leaks.Load() == 0 {
		t.Fatal("no terminal redraw carried the card past the masker on the control gateway: the probes are too weak")
	}
}
