package sshgate

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// TestScriptedClientsAndQuotingThroughSSHD: routes found in the last
// review, each run through a real sshd. A transfer client that takes the
// local names from the remote side (lftp mirror from a file:// tree) into
// home plants ~/.bashrc; inline code spells .bashrc behind quoting the
// shell or the language removes ('.bash”rc', ".bash"."rc", $'\x2e...',
// "\x2e..."); git init ~ makes home a repository (its .git/config is read
// by every later git below it); curl -o ~/.bash#1c takes the r of
// .bashrc from a URL glob. Through the control gateway
// (AllowStartupWrites) each line plants its file, so the route is real;
// through the gate each is refused and home is unchanged.
func TestScriptedClientsAndQuotingThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newFakeHome(t)
	kit := plantKit(t) // kit/tree holds .bashrc and .ssh/rc with "# PLANTED"
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	gc, oc := g.goClient(t, g.agent), open.goClient(t, open.agent)
	planted := func(file string) bool {
		b, err := os.ReadFile(filepath.Join(h.dir, file))
		return err == nil && string(b) == "# PLANTED\n"
	}
	exists := func(file string) bool {
		_, err := os.Stat(filepath.Join(h.dir, file))
		return err == nil
	}
	reset := func() {
		h.reset()
		for _, d := range []string{".git", "bare"} {
			_ = os.RemoveAll(filepath.Join(h.dir, d))
		}
	}
	glob := t.TempDir() // curl's URL glob [r-r] fetches glob/r, and #1 is "r"
	if err := os.WriteFile(filepath.Join(glob, "r"), []byte("# PLANTED\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	type route struct {
		cmd  string
		done func() bool
	}
	bashrc := func() bool { return planted(".bashrc") }
	routes := []route{
		{`cd ~ && perl -e 'open(F,">",".bash"."rc"); print F "# PLANTED\n"'`, bashrc},
		{`cd ~ && perl -e 'open(F,">",".bash''rc"); print F "# PLANTED\n"'`, bashrc},
		{`cd ~ && perl -e 'open(F,">","\x2ebashrc"); print F "# PLANTED\n"'`, bashrc},
		{`cd ~ && perl -e $'open(F,">","\x2ebashrc"); print F "# PLANTED\\n"'`, bashrc},
		{`cd ~ && perl -e "open(F,'>','.bash'.\"rc\"); print F qq(# PLANTED\n)"`, bashrc},
		{`cd ~ && x=rc; perl -e "open(F,'>','.bash$x'); print F qq(# PLANTED\n)"`, bashrc},
		{"curl -s 'file://" + glob + "/[r-r]' -o \"$HOME/.bash#1c\"", bashrc},
		{"git init -q ~", func() bool { return exists(".git/config") }},
		{"cd && git init -q", func() bool { return exists(".git/config") }},
		{"git init -q --bare ~/bare", func() bool { return exists("bare/config") }},
	}
	if _, err := exec.LookPath("lftp"); err != nil {
		t.Fatal("lftp is needed for these routes (apt-get install lftp)")
	}
	routes = append(routes,
		route{"lftp -c 'open file://" + kit + "/tree; lcd ~; mirror'", bashrc},
		route{"cd ~ && lftp -c 'open file://" + kit + "/tree; mirror -c . .'", bashrc},
		route{"cd ~ && lftp -e 'open file://" + kit + "/tree; mirror; bye'", bashrc},
	)
	for _, r := range routes {
		reset()
		code, out := execStatus(t, gc, r.cmd)
		if r.done() {
			t.Errorf("%s: planted through the gate: exit %d %s", r.cmd, code, out)
		} else if code != ExitRefused {
			t.Errorf("%s: exit %d, not refused: %s", r.cmd, code, out)
		}
		reset()
		code, out = execStatus(t, oc, r.cmd)
		if !r.done() {
			t.Errorf("control: %s did not plant: exit %d %s", r.cmd, code, out)
		}
	}
	// Ordinary lines still run.
	work := t.TempDir()
	for _, cmd := range []string{"git init -q " + work + "/repo", "grep -o PLANTED " + kit + "/tree/.bashrc",
		"grep -o .bashrc " + kit + "/tree/.bashrc || true"} {
		if code, out := execStatus(t, gc, cmd); code != 0 {
			t.Errorf("%s: exit %d: %s", cmd, code, out)
		}
	}
}

// execWithInput runs cmd with stdin as its input and returns its exit
// status (-1 when it did not report one) and output.
func execWithInput(t *testing.T, cl *ssh.Client, cmd, stdin string) (int, string) {
	t.Helper()
	s, err := cl.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Stdin = strings.NewReader(stdin)
	out, err := s.CombinedOutput(cmd)
	var ee *ssh.ExitError
	if errors.As(err, &ee) {
		return ee.ExitStatus(), string(out)
	}
	if err != nil {
		return -1, string(out) + err.Error()
	}
	return 0, string(out)
}

// TestLftpReadsCommandsFromInputThroughSSHD: lftp -e runs its script,
// then reads more commands from its input, which the client sends after
// the line was judged: a harmless-looking lftp -e 'open ...' plants
// ~/.bashrc through the control gateway with get on its input, so the
// gate refuses lftp whose script does not end the session (bye, or -c).
func TestLftpReadsCommandsFromInputThroughSSHD(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("lftp"); err != nil {
		t.Fatal("lftp is needed for this route (apt-get install lftp)")
	}
	h := newFakeHome(t)
	kit := plantKit(t)
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	gc, oc := g.goClient(t, g.agent), open.goClient(t, open.agent)
	cmd := "lftp -e 'open file://" + kit + "/tree'"
	input := "set xfer:clobber on\nget .bashrc -o " + filepath.Join(h.dir, ".bashrc") + "\n"
	h.reset()
	code, out := execWithInput(t, gc, cmd, input)
	if d := h.changed(".bashrc"); d != "" {
		t.Errorf("%s: .bashrc planted (%s): exit %d %s", cmd, d, code, out)
	} else if code != ExitRefused {
		t.Errorf("%s: exit %d, not refused: %s", cmd, code, out)
	}
	h.reset()
	code, out = execWithInput(t, oc, cmd, input)
	if h.changed(".bashrc") == "" {
		t.Errorf("control: %s did not plant .bashrc: exit %d %s", cmd, code, out)
	}
	// The same script ended by bye, into an ordinary directory, runs.
	work := t.TempDir()
	cmd = "lftp -e 'open file://" + kit + "/tree; get .ssh/rc -o " + work + "/rc; bye'"
	if code, out := execWithInput(t, gc, cmd, input); code != 0 {
		t.Errorf("%s: exit %d: %s", cmd, code, out)
	}
	if _, err := os.Stat(filepath.Join(work, "rc")); err != nil {
		t.Errorf("%s: %v", cmd, err)
	}
}
