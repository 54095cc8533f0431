package sshgate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sftpInsideRules allow sftp only on paths inside one directory (OK), the
// kind of rule an operator writes to give an agent a workspace. Targets
// (of symlinks and renames) are not checked, as an operator might forget.
func sftpInsideRules(ok string) string {
	return `
default: deny
rules:
  - name: workspace
    when: ssh.kind == "subsystem" || (ssh.kind == "sftp" && ssh.path.startsWith("` + ok + `/"))
    action: allow
`
}

// TestSFTPJudgesTheFileTouched is the symlink family end to end: with
// rules that allow sftp inside a workspace, links inside it (made on the
// host, or by the agent with a relative target) lead to a victim file
// outside. Through an allow-all gateway each operation reaches the victim
// (the control); through the workspace rules none may read, write or
// change it, since the gateway judges and acts on the resolved path.
func TestSFTPJudgesTheFileTouched(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	probe := newEffectProbe(t)
	local := filepath.Join(t.TempDir(), "local.txt")
	if err := os.WriteFile(local, []byte("payload\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	type attack struct {
		name, batch string
		reads       bool // succeeds by downloading the victim
	}
	// W is the workspace, V the victim directory, B the download.
	attacks := []attack{
		{"read through a file link", "get W/flink B", true},
		{"read through a directory link", "get W/dlink/f B", true},
		{"write through a file link", "put L W/flink", false},
		{"chmod through a file link", "chmod 000 W/flink", false},
		{"write through a directory link", "put L W/dlink/f", false},
		{"remove through a directory link", "rm W/dlink/f", false},
		{"rename out through a directory link", "rename W/dlink/f W/stolen", false},
		{"relative symlink made by the agent, then read", "symlink ../VNAME/f W/mine\nget W/mine B", true},
		{"relative directory symlink, then write", "symlink ../VNAME W/mydir\nput L W/mydir/f", false},
	}
	run := func(g *gateway, batch string) result {
		t.Helper()
		bf := filepath.Join(t.TempDir(), "batch")
		if err := os.WriteFile(bf, []byte(batch+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return run(t, "", "sftp", append([]string{"-b", bf}, sshArgs(g.addr, g.agent, "-P")...)...)
	}
	for i, a := range attacks {
		for _, mode := range []string{"control", "gated"} {
			v := probe.victim(mode + string(rune('a'+i)))
			w := filepath.Join(filepath.Dir(v), "ws-"+filepath.Base(v))
			if err := os.MkdirAll(w, 0o755); err != nil {
				t.Fatal(err)
			}
			for link, target := range map[string]string{"flink": filepath.Join(v, "f"), "dlink": v} {
				if err := os.Symlink(target, filepath.Join(w, link)); err != nil {
					t.Fatal(err)
				}
			}
			b := filepath.Join(t.TempDir(), "download")
			batch := strings.NewReplacer("W/", w+"/", "VNAME", filepath.Base(v), " B", " "+b, "put L", "put "+local).Replace(a.batch)
			rules := allowAllRules
			if mode == "gated" {
				rules = sftpInsideRules(w)
			}
			g := startGateway(t, up, rules)
			r := run(g, batch)
			got, _ := os.ReadFile(b)
			damage := probe.damaged(v)
			if fi, err := os.Stat(filepath.Join(v, "f")); err == nil && fi.Mode().Perm() != 0o644 {
				damage += "; f's mode is " + fi.Mode().Perm().String()
			}
			stolen := strings.Contains(string(got), strings.TrimSpace(precious))
			if mode == "control" {
				if !stolen && damage == "" {
					t.Errorf("%s: the control neither read nor changed the victim (%+v): the probe is not live", a.name, r)
				}
				continue
			}
			if stolen || damage != "" {
				t.Errorf("%s: through the workspace rules: read the victim %v, damage %q (%+v)", a.name, stolen, damage, r)
			}
		}
	}
}
