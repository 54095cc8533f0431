package sshgate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// resolvedFiles are the start-up files of the home directory the
// resolved-name probes write (bin/ls: ~/bin is on a login's PATH).
var resolvedFiles = []string{"bin/ls", ".bashrc", "p/__pycache__/m.cpython-311.pyc", ".cache/pip/wheels/x.whl"}

// resolvedProbes write a start-up file ({H} is the home directory's
// absolute path) through a name the kernel resolves differently from
// the text: the home directory by an absolute path other than /root or
// /home/NAME, a descriptor open on the home directory or on the file
// (reopened for writing), a variable or command substitution, .. after a
// directory, a program named by a path (~/x/cat: a script that appends
// to its argument), and the caches and byte code a later program runs.
var resolvedProbes = []struct{ cmd, file string }{
	{"cp ~/src {H}/bin/ls", "bin/ls"},
	{"sed -i s/original/PLANTED/ {H}/bin/ls", "bin/ls"},
	{"exec 3<~; cp ~/src /dev/fd/3/bin/ls", "bin/ls"},
	{"exec 3<~; echo '# PLANTED' >> /proc/self/fd/3/bin/ls", "bin/ls"},
	{"X=~; cp ~/src \"$X\"/bin/ls", "bin/ls"},
	{"echo '# PLANTED' >> ${HOME%/}/bin/ls", "bin/ls"},
	{"echo '# PLANTED' >> $(getent passwd $(id -un) >/dev/null; echo ~)/bin/ls", "bin/ls"},
	{"cd \"$(eval echo ~)\" && cp ~/src bin/ls", "bin/ls"},
	{"cd {H}/x && cp ~/src ../bin/ls", "bin/ls"},
	{"echo '# PLANTED' > ~+/bin/ls", "bin/ls"},
	{"exec 3<~/.bashrc; cp ~/src /dev/fd/3", ".bashrc"},
	{"exec 3<~/.bashrc; tee /proc/self/fd/3 < ~/src > /dev/null", ".bashrc"},
	{"cp ~/src /dev/stdin < ~/.bashrc", ".bashrc"},
	{"~/x/cat ~/.bashrc", ".bashrc"},
	{"cd ~/x && ./cat ../.bashrc", ".bashrc"},
	{"cp ~/src ~/p/__pycache__/m.cpython-311.pyc", "p/__pycache__/m.cpython-311.pyc"},
	{"cp ~/src ~/.cache/pip/wheels/x.whl", ".cache/pip/wheels/x.whl"},
}

// TestResolvedNamesThroughSSHD: each probe leaves its start-up file as
// it was through the gate and is refused; through the control gateway
// (AllowStartupWrites) the same line changes it.
func TestResolvedNamesThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newHomeFiles(t, resolvedFiles)
	writer := filepath.Join(h.dir, "x", "cat")
	if err := os.WriteFile(writer, []byte("#!/bin/sh\necho '# PLANTED' >> \"$1\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	open := startGateway(t, up, homeWriteRules, func(c *Config) { c.AllowStartupWrites = true })
	gc, oc := g.goClient(t, g.agent), open.goClient(t, open.agent)
	var through int
	for _, p := range resolvedProbes {
		cmd := strings.ReplaceAll(p.cmd, "{H}", h.dir)
		if !strings.HasPrefix(cmd, "cd ") {
			cmd = "cd ~ && " + cmd // sshd starts in the account's own home, not the fake one
		}
		h.reset()
		code, out := execStatus(t, gc, cmd)
		if d := h.changed(p.file); d != "" {
			through++
			t.Errorf("%s: %s changed (%s): exit %d %s", cmd, p.file, d, code, out)
		} else if code != ExitRefused {
			t.Errorf("%s: exit %d, not refused: %s", cmd, code, out)
		}
		h.reset()
		code, out = execStatus(t, oc, cmd)
		if h.changed(p.file) == "" {
			t.Errorf("control: %s left %s as it was: exit %d %s", cmd, p.file, code, out)
		}
	}
	if through > 0 {
		t.Logf("%d of %d probes reached a start-up file", through, len(resolvedProbes))
	}
}

// TestResolvedNamesOrdinaryThroughSSHD: ordinary writes (a project
// directory, a descriptor the line opened on an ordinary file, a name
// after .., a project's own bin directory) still run through the gate.
func TestResolvedNamesOrdinaryThroughSSHD(t *testing.T) {
	t.Parallel()
	h := newHomeFiles(t, nil)
	if err := os.MkdirAll(filepath.Join(h.dir, "p"), 0o755); err != nil {
		t.Fatal(err)
	}
	up := startSSHDWith(t, "SetEnv HOME="+h.dir+"\n")
	g := startGateway(t, up, homeWriteRules)
	gc := g.goClient(t, g.agent)
	for _, c := range []struct{ cmd, file string }{
		{"mkdir -p ~/p/bin && cp ~/src ~/p/bin/tool", "p/bin/tool"},
		{"cd ~/x && echo ok > ../notes.txt", "notes.txt"},
		{"exec 3>~/log.txt; echo ok > /dev/fd/3", "log.txt"},
		{"X=~/p; echo ok > \"$X\"/out.txt", "p/out.txt"},
		{"echo ok > ${HOME%/}/notes.md", "notes.md"},
		{"echo ok | tee ~/x/a.txt > /dev/stderr", "x/a.txt"},
	} {
		h.reset()
		code, out := execStatus(t, gc, c.cmd)
		if code != 0 {
			t.Errorf("%s: exit %d: %s", c.cmd, code, out)
		}
		if _, err := os.Stat(filepath.Join(h.dir, c.file)); err != nil {
			t.Errorf("%s: %v", c.cmd, err)
		}
	}
}
