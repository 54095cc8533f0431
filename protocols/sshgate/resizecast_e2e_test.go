//go:build linux

package sshgate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/airlock-sdk/airlock/internal/gatetest"
	"github.com/airlock-sdk/airlock/record"
)

// openPTY opens a pseudo-terminal pair: the master, which the test
// reads and resizes, and the slave, the terminal OpenSSH runs on.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	var unlock int32
	if err := ioctl(m, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		t.Fatal(err)
	}
	var n uint32
	if err := ioctl(m, syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// resizePTY sets the terminal's size, as a terminal emulator does when
// its window changes: the kernel signals the programs on it (SIGWINCH).
func resizePTY(t *testing.T, m *os.File, cols, rows uint16) {
	t.Helper()
	ws := struct{ Row, Col, X, Y uint16 }{rows, cols, 0, 0}
	if err := ioctl(m, syscall.TIOCSWINSZ, unsafe.Pointer(&ws)); err != nil {
		t.Fatal(err)
	}
}

func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), req, uintptr(arg)); e != 0 {
		return e
	}
	return nil
}

// lockedBuffer is what a reader goroutine collects.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAsciicastReplaysResizes: OpenSSH's ssh -tt runs on a real
// pseudo-terminal through the gateway to a real sshd; the terminal is
// resized twice while the command runs, and the command prints the size
// it sees each time. The session's asciicast declares the first size and
// has an "r" event for each resize, in order, before the output drawn at
// that size: a replay draws each frame at the size the client saw it at.
func TestAsciicastReplaysResizes(t *testing.T) {
	t.Parallel()
	g := startTestGateway(t)
	m, s := openPTY(t)
	resizePTY(t, m, 80, 24)
	args := append([]string{"-tt"}, sshArgs(g.addr, g.agent, "-p")...)
	args = append(args, "--", "for i in 1 2 3; do echo size $(stty size) end; sleep 1.5; done")
	cmd := exec.Command(gatetest.NeedTool(t, "ssh"), args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s, s, s
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out lockedBuffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := m.Read(buf)
			_, _ = out.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	waitFor := func(what string) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); !strings.Contains(out.String(), what); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in %q", what, out.String())
			}
		}
	}
	waitFor("size 24 80 end")
	resizePTY(t, m, 100, 30)
	waitFor("size 30 100 end")
	resizePTY(t, m, 132, 43)
	waitFor("size 43 132 end")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ssh: %v: %q", err, out.String())
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("ssh did not end")
	}
	g.waitIdle(t)
	sessions := g.rec.Sessions()
	if len(sessions) != 1 {
		t.Fatalf("sessions: %v", sessions)
	}
	var cast bytes.Buffer
	if err := record.WriteAsciicast(&cast, g.rec.Events(sessions[0]), record.AsciicastOptions{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(cast.String()), "\n")
	var hdr struct{ Width, Height int }
	if err := json.Unmarshal([]byte(lines[0]), &hdr); err != nil || hdr.Width != 80 || hdr.Height != 24 {
		t.Fatalf("header %q: %v", lines[0], err)
	}
	// The replay: each output frame with the size in force when drawn.
	var drawn []string
	size := "80x24"
	for _, l := range lines[1:] {
		var e []any
		if err := json.Unmarshal([]byte(l), &e); err != nil || len(e) != 3 {
			t.Fatalf("event %q: %v", l, err)
		}
		data, _ := e[2].(string)
		switch e[1] {
		case "r":
			size = data
		case "o":
			for _, f := range strings.Fields(data) {
				if f == "size" {
					drawn = append(drawn, size)
				}
			}
		}
	}
	if want := []string{"80x24", "100x30", "132x43"}; strings.Join(drawn, " ") != strings.Join(want, " ") {
		t.Errorf("replay drew the command's lines at %v, the client saw them at %v:\n%s", drawn, want, cast.String())
	}
}
