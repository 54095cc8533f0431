package sshgate

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/airlock-sdk/airlock/gate"
	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// TestRequestsBeyondTheJudgedOne: on a session channel only the first
// exec, shell or subsystem request is judged and forwarded; a second one
// (with or without want-reply, before or after the first reply, after a
// refusal), env and pty-req after it, x11-req, auth-agent-req and remote
// forwards never reach the real sshd. The victim directory is untouched.
func TestRequestsBeyondTheJudgedOne(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	g := startGateway(t, up, readOnlyRules)
	probe := newEffectProbe(t)
	v := probe.victim("requests")
	touch := ssh.Marshal(struct{ Command string }{"> " + v + "/f"})
	cl := g.goClient(t, g.agent)
	defer cl.Close()
	for i, first := range []string{"cat " + v + "/f", "> " + v + "/f"} { // allowed, then refused
		for _, wantReply := range []bool{true, false} {
			ch, reqs, err := cl.OpenChannel("session", nil)
			if err != nil {
				t.Fatal(err)
			}
			go ssh.DiscardRequests(reqs)
			if _, err := ch.SendRequest("exec", wantReply, ssh.Marshal(struct{ Command string }{first})); err != nil {
				t.Fatal(err)
			}
			for _, r := range []struct {
				typ     string
				payload []byte
			}{
				{"exec", touch},
				{"shell", nil},
				{"subsystem", ssh.Marshal(struct{ Name string }{"sftp"})},
				{"env", ssh.Marshal(struct{ Name, Value string }{"LD_PRELOAD", "/nonexistent.so"})},
				{"pty-req", ssh.Marshal(struct {
					Term             string
					Cols, Rows, W, H uint32
					Modes            string
				}{"xterm", 80, 24, 0, 0, ""})},
				{"x11-req", ssh.Marshal(struct {
					Single        bool
					Proto, Cookie string
					Screen        uint32
				}{false, "MIT-MAGIC-COOKIE-1", "00", 0})},
				{"auth-agent-req@openssh.com", nil},
			} {
				ok, err := ch.SendRequest(r.typ, wantReply, r.payload)
				if err == nil && ok {
					t.Errorf("case %d: %s after %q accepted", i, r.typ, first)
				}
			}
			_ = ch.CloseWrite()
			out, _ := io.ReadAll(ch)
			if i == 0 && !strings.Contains(string(out), "precious") {
				t.Errorf("the allowed exec did not run: %q", out)
			}
			ch.Close()
		}
	}
	for _, typ := range []string{"tcpip-forward", "streamlocal-forward@openssh.com", "no-more-sessions@openssh.com", "unknown@example.com"} {
		if ok, _, err := cl.SendRequest(typ, true, ssh.Marshal(struct {
			Addr string
			Port uint32
		}{"127.0.0.1", 0})); err != nil || ok {
			t.Errorf("global request %s: ok=%v err=%v", typ, ok, err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if d := probe.damaged(v); d != "" {
		t.Fatalf("the upstream host changed: %s", d)
	}
}

// TestSFTPHandlesAndExtensions: under a policy that allows sftp reads
// only, operations on a handle opened for reading (fsetstat mode and size,
// a write) and the extensions (hardlink, posix-rename, statvfs) are
// judged on the file they touch and refused; the file is unchanged.
func TestSFTPHandlesAndExtensions(t *testing.T) {
	t.Parallel()
	up := startSSHD(t)
	g := startGateway(t, up, sftpReadRules)
	probe := newEffectProbe(t)
	v := probe.victim("sftp-handles")
	sc := g.sftpClient(t)
	f, err := sc.Open(v + "/f")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Chmod(0o777); err == nil {
		t.Error("fsetstat (chmod) on a read handle allowed")
	}
	if err := f.Truncate(0); err == nil {
		t.Error("fsetstat (size) on a read handle allowed")
	}
	_, _ = f.Write([]byte("x")) // a write packet on a read handle is served as a read
	_ = f.Close()
	if _, err := f.Read(make([]byte, 4)); err == nil {
		t.Error("read after close")
	}
	if err := sc.Link(v+"/f", v+"/hard"); err == nil {
		t.Error("hardlink allowed")
	}
	if err := sc.PosixRename(v+"/f", v+"/g"); err == nil {
		t.Error("posix-rename allowed")
	}
	if _, err := sc.StatVFS(v); err == nil {
		t.Error("statvfs is not supported by the gateway, yet it answered")
	}
	if d := probe.damaged(v); d != "" {
		t.Fatalf("sftp changed the upstream host: %s", d)
	}
	if fi, err := os.Stat(v + "/f"); err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("f mode: %v %v", fi, err)
	}
}

// TestSFTPRepliesMaskedAndRecorded: the names of a directory listing and
// the target of a link leave through the gate like the output of ls and
// readlink over exec: recorded, and never unmasked where the decision
// masks (testRules mask e-mail addresses for paths containing "mask").
func TestSFTPRepliesMaskedAndRecorded(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	probe := newEffectProbe(t)
	v := probe.victim("sftp-replies")
	secret := "alice.smith@example.com"
	for _, d := range []string{"maskdir", "plain"} {
		if err := os.Mkdir(v+"/"+d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(v+"/"+d+"/"+secret, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink("/tmp/"+secret, v+"/"+d+"/lnk"); err != nil {
			t.Fatal(err)
		}
	}
	sc := g.sftpClient(t)
	fis, err := sc.ReadDir(v + "/maskdir")
	for _, fi := range fis {
		if strings.Contains(fi.Name(), "example.com") {
			t.Errorf("unmasked name in a masked listing: %q", fi.Name())
		}
	}
	if err == nil && len(fis) > 0 {
		t.Errorf("masked listing served: %v", fis)
	}
	if target, err := sc.ReadLink(v + "/maskdir/lnk"); err == nil || strings.Contains(target, "example.com") {
		t.Errorf("masked link target served: %q %v", target, err)
	}
	// Without masking the listing and the target are served and recorded.
	fis, err = sc.ReadDir(v + "/plain")
	if err != nil || len(fis) != 2 {
		t.Fatalf("listing: %v %v", fis, err)
	}
	if target, err := sc.ReadLink(v + "/plain/lnk"); err != nil || target != "/tmp/"+secret {
		t.Fatalf("readlink: %q %v", target, err)
	}
	recorded := map[string]string{}
	for _, e := range g.events(gate.EventOutput) {
		recorded[e.Output.Stream] += string(e.Output.Data)
	}
	if !strings.Contains(recorded["listing"], secret) || !strings.Contains(recorded["link"], secret) {
		t.Fatalf("listing and link not recorded: %q", recorded)
	}
}

// sftpClient opens an sftp session as the agent through the gateway (Go's
// sftp client, for operations the OpenSSH client cannot send); both close
// with the test.
func (g *gateway) sftpClient(t *testing.T) *sftp.Client {
	t.Helper()
	cl := g.goClient(t, g.agent)
	t.Cleanup(func() { cl.Close() })
	sc, err := sftp.NewClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc
}
