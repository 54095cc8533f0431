package sshgate

import (
	"testing"
)

// TestOpaqueCodeThroughSSHD: code the gate cannot read builds the name
// ~/.bashrc from pieces (chr(46), a reversed string, base64, a script fed
// on stdin or piped into a shell). Through the gate every line is refused
// and ~/.bashrc stays as it was; through the control gateway
// (AllowStartupWrites) the same line plants it, so the route is real.
func TestOpaqueCodeThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newFakeHome(t)
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	gc, oc := g.goClient(t, g.agent), open.goClient(t, open.agent)
	for _, cmd := range []string{
		`python3 -c 'import os;open(os.path.expanduser("~")+"/"+chr(46)+"bashrc","a").write("# PLANTED\n")'`,
		`python3 -c 'import os;open(os.environ["HOME"]+"/"+"crhsab."[::-1],"a").write("# PLANTED\n")'`,
		`python3 - <<'E'
import os
open(os.environ["HOME"]+"/"+"crhsab."[::-1],"a").write("# PLANTED\n")
E`,
		`echo ZWNobyAnIyBQTEFOVEVEJyA+PiB+Ly5iYXNocmMK | base64 -d | sh`,
		`eval "$(echo ZWNobyAnIyBQTEFOVEVEJyA+PiB+Ly5iYXNocmMK | base64 -d)"`,
	} {
		h.reset()
		code, out := execStatus(t, gc, cmd)
		if d := h.changed(".bashrc"); d != "" {
			t.Errorf("%s: .bashrc planted (%s): exit %d %s", cmd, d, code, out)
		} else if code != ExitRefused {
			t.Errorf("%s: exit %d, not refused: %s", cmd, code, out)
		}
		h.reset()
		code, out = execStatus(t, oc, cmd)
		if h.changed(".bashrc") == "" {
			t.Errorf("control: %s did not plant .bashrc: exit %d %s", cmd, code, out)
		}
	}
	h.reset()
	if code, out := execStatus(t, gc, `python3 -c 'print(6*7)'`); code != ExitRefused {
		t.Errorf("inline code without AllowOpaqueCode: exit %d %s", code, out)
	}
	ok := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowOpaqueCode = true })
	if code, out := execStatus(t, ok.goClient(t, ok.agent), `python3 -c 'print(6*7)'`); code != 0 {
		t.Errorf("inline code with AllowOpaqueCode: exit %d %s", code, out)
	}
}
