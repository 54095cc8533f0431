package sshgate

import (
	"os/exec"
	"strings"
	"sync/atomic"
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
	t.Parallel()
	locpath, locales := gatetest.BuildMultibyteLocales(t), gatetest.MultibyteLocales
	up := startSSHDWith(t, "SetEnv LOCPATH="+locpath+"\n")
	probe := newEffectProbe(t)
	g := startGateway(t, up, readOnlyRules)
	direct, gated := make([]string, len(locales)), make([]string, len(locales))
	for i, loc := range locales {
		direct[i], gated[i] = probe.victim("direct-"+loc), probe.victim("gated-"+loc)
	}
	var lives atomic.Int64
	eachConcurrently(len(locales), 4, func(i int) {
		loc := locales[i]
		ch := swallowingChar(t, locpath, loc)
		if ch == "" {
			return
		}
		lives.Add(1)
		cmd := "cat V/f " + ch + "\\; rm -f V/f"
		setEnv := []string{"-o", "SetEnv=LC_ALL=" + loc}

		run(t, "", "ssh", append(append(setEnv, sshArgs(up.addr, up.userKey, "-p")...), "--", strings.ReplaceAll(cmd, "V", direct[i]))...)
		if probe.damaged(direct[i]) == "" {
			t.Errorf("%s: the control left the file: bash did not split %q on the host", loc, cmd)
		}

		v := gated[i]
		r := g.ssh(g.agent, setEnv, strings.ReplaceAll(cmd, "V", v))
		if d := probe.damaged(v); d != "" {
			t.Errorf("%s: %q through the gateway (exit %d): %s", loc, cmd, r.code, d)
		}
	})
	live := int(lives.Load())
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
