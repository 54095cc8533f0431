package sshgate

import (
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/airlock-sdk/airlock/internal/gatetest"
)

// swallowingChar finds a UTF-8 character after which bash, in locale,
// reads a backslash as part of the character: `echo X\; echo S` then runs
// two commands where a UTF-8 reader sees one. "" when there is none.
func swallowingChar(t *testing.T, locpath, locale string) string {
	t.Helper()
	for _, lo := range [][2]rune{{0x4e00, 0x4e80}, {0xc0, 0x180}, {0xac00, 0xac40}, {0x3040, 0x30a0}} {
		for r := lo[0]; r < lo[1]; r++ {
			ch := string(r)
			cmd := exec.Command("bash", "-c", "echo "+ch+"\\; echo SPLIT")
			cmd.Env = []string{"LOCPATH=" + locpath, "LC_ALL=" + locale}
			out, _ := cmd.Output()
			if strings.Contains(string(out), "\nSPLIT") && utf8.ValidString(ch) {
				return ch
			}
		}
	}
	return ""
}

// TestLocaleEvasionsRefused is the locale family end to end: for each
// multibyte locale, a command the analyser reads as one cat (`cat V/f X\;
// rm -f V/f`) is sent with LC_ALL set to that locale, through the gateway
// to a real sshd whose sessions can load it. Directly to the sshd the
// command removes the file (the control: the host's bash splits it);
// through the gateway the locale is refused, the command runs as the
// analyser read it, and the file survives.
func TestLocaleEvasionsRefused(t *testing.T) {
	locpath, locales := gatetest.BuildMultibyteLocales(t), gatetest.MultibyteLocales
	up := startSSHDWith(t, "SetEnv LOCPATH="+locpath+"\n")
	probe := newEffectProbe(t)
	g := startGateway(t, up, readOnlyRules)
	live := 0
	for _, loc := range locales {
		ch := swallowingChar(t, locpath, loc)
		if ch == "" {
			continue
		}
		live++
		cmd := "cat V/f " + ch + "\\; rm -f V/f"
		setEnv := []string{"-o", "SetEnv=LC_ALL=" + loc}

		direct := probe.victim("direct-" + loc)
		run(t, "", "ssh", append(append(setEnv, sshArgs(up.addr, up.userKey, "-p")...), "--", strings.ReplaceAll(cmd, "V", direct))...)
		if probe.damaged(direct) == "" {
			t.Errorf("%s: the control left the file: bash did not split %q on the host", loc, cmd)
		}

		v := probe.victim("gated-" + loc)
		r := g.ssh(g.agent, setEnv, strings.ReplaceAll(cmd, "V", v))
		if d := probe.damaged(v); d != "" {
			t.Errorf("%s: %q through the gateway (exit %d): %s", loc, cmd, r.code, d)
		}
	}
	if live < 3 {
		t.Fatalf("only %d of %d locales split a command in bash: the test proves little", live, len(locales))
	}
	refused := 0
	for _, e := range g.events(gate.EventError) {
		if strings.Contains(e.Error, "refused env LC_ALL") {
			refused++
		}
	}
	if refused < live {
		t.Errorf("%d env refusals recorded, want %d", refused, live)
	}
}
