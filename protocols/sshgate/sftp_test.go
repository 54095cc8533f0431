package sshgate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/airlock-sdk/airlock/gate"
)

func TestSFTPThroughGateway(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	g := startGateway(t, up, testRules)
	work := t.TempDir()
	local := filepath.Join(g.dir, "local.txt")
	if err := os.WriteFile(local, []byte("payload\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "forbidden.txt"), []byte("secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sftpRun := func(batch string) result {
		t.Helper()
		bf := filepath.Join(t.TempDir(), "batch")
		if err := os.WriteFile(bf, []byte(batch), 0o644); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"-b", bf}, sshArgs(g.addr, g.agent, "-P")...)
		return run(t, "", "sftp", args...)
	}

	r := sftpRun(strings.Join([]string{
		"cd " + work,
		"put " + local + " up.txt",
		"mkdir dir",
		"rename up.txt dir/moved.txt",
		"chmod 600 dir/moved.txt",
		"ls -l dir",
		"get dir/moved.txt " + filepath.Join(g.dir, "back.txt"),
		"rm dir/moved.txt",
		"rmdir dir",
	}, "\n") + "\n")
	if r.code != 0 {
		t.Fatalf("sftp batch: %+v", r)
	}
	if b, err := os.ReadFile(filepath.Join(g.dir, "back.txt")); err != nil || string(b) != "payload\n" {
		t.Fatalf("round trip: %q %v", b, err)
	}
	// What the client read leaves through the gate: recorded.
	if rec := g.recorded("file"); rec != "payload\n" {
		t.Fatalf("recorded read %q", rec)
	}
	if !strings.Contains(r.stdout, "moved.txt") {
		t.Fatalf("ls output: %q", r.stdout)
	}
	if _, err := os.Stat(filepath.Join(work, "dir")); !os.IsNotExist(err) {
		t.Fatalf("rmdir not applied: %v", err)
	}

	// Operations on a forbidden path are refused one by one; the file stays.
	for _, cmd := range []string{
		"get " + filepath.Join(work, "forbidden.txt") + " " + filepath.Join(g.dir, "leak.txt"),
		"rm " + filepath.Join(work, "forbidden.txt"),
		"rename " + filepath.Join(work, "forbidden.txt") + " " + filepath.Join(work, "free.txt"),
		"put " + local + " " + filepath.Join(work, "forbidden-new.txt"),
	} {
		r := sftpRun(cmd + "\n")
		if r.code == 0 {
			t.Errorf("sftp %q not refused: %+v", cmd, r)
		}
	}
	if b, err := os.ReadFile(filepath.Join(work, "forbidden.txt")); err != nil || string(b) != "secret\n" {
		t.Fatalf("forbidden file changed: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(g.dir, "leak.txt")); err == nil {
		if b, _ := os.ReadFile(filepath.Join(g.dir, "leak.txt")); len(b) > 0 {
			t.Fatal("forbidden file was downloaded")
		}
	}

	// Each operation was judged as kind "sftp" with its operation and path.
	ops := map[string]bool{}
	for _, e := range g.events(gate.EventDecision) {
		if s := e.Request.SSH; s != nil && s.Kind == "sftp" {
			ops[s.Operation] = true
			if s.Operation == "rename" && s.TargetPath == "" {
				t.Errorf("rename without target: %+v", s)
			}
		}
	}
	for _, op := range []string{"read", "write", "mkdir", "rename", "setstat", "list", "remove", "rmdir", "stat"} {
		if !ops[op] {
			t.Errorf("operation %q not judged (saw %v)", op, ops)
		}
	}
}

func TestSCPThroughGateway(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	work := t.TempDir()
	local := filepath.Join(g.dir, "scp.txt")
	if err := os.WriteFile(local, []byte("scp payload\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	host, port, _ := strings.Cut(g.addr, ":")
	base := []string{"-P", port, "-i", g.agent.file, "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-F", "/dev/null"}
	r := run(t, "", "scp", append(base, local, host+":"+filepath.Join(work, "copy.txt"))...)
	if r.code != 0 {
		t.Fatalf("scp upload: %+v", r)
	}
	r = run(t, "", "scp", append(base, host+":"+filepath.Join(work, "copy.txt"), filepath.Join(g.dir, "down.txt"))...)
	if r.code != 0 {
		t.Fatalf("scp download: %+v", r)
	}
	if b, _ := os.ReadFile(filepath.Join(g.dir, "down.txt")); string(b) != "scp payload\n" {
		t.Fatalf("scp round trip: %q", b)
	}
	r = run(t, "", "scp", append(base, local, host+":"+filepath.Join(work, "forbidden.txt"))...)
	if r.code == 0 {
		t.Fatalf("scp to a forbidden path not refused: %+v", r)
	}
}

func TestSubsystemsOtherThanSFTPRefused(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	r := g.ssh(g.agent, []string{"-s"}, "netconf")
	if r.code == 0 {
		t.Fatalf("subsystem netconf not refused: %+v", r)
	}
}

// TestSFTPReadMasked: a file read over sftp under a masking decision
// arrives masked.
func TestSFTPReadMasked(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	src := filepath.Join(t.TempDir(), "mask-me.txt")
	if err := os.WriteFile(src, []byte("owner: carol.jones@example.net\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(g.dir, "got.txt")
	bf := filepath.Join(t.TempDir(), "batch")
	if err := os.WriteFile(bf, []byte("get "+src+" "+dst+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "", "sftp", append([]string{"-b", bf}, sshArgs(g.addr, g.agent, "-P")...)...)
	if r.code != 0 {
		t.Fatalf("sftp: %+v", r)
	}
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(got), "example.net") || !strings.HasPrefix(string(got), "owner: ") {
		t.Fatalf("downloaded %q", got)
	}
	// The record holds what was served, masked, and what was found.
	found := 0
	for _, e := range g.events(gate.EventOutput) {
		if e.Output.Stream == "file" && e.Output.Final {
			for _, f := range e.Output.Findings {
				found += f.Count
			}
		}
	}
	if rec := g.recorded("file"); rec != string(got) || found != 1 {
		t.Fatalf("recorded %q with %d findings, served %q", rec, found, got)
	}
}
