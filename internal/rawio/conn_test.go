//go:build unix

package rawio

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// pair returns both ends of a real socket of the given network, each
// wrapped.
func pair(t *testing.T, network string) (net.Conn, net.Conn) {
	t.Helper()
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "s")
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	d, err := net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	wa, wd := Wrap(a), Wrap(d)
	if _, ok := wa.(*Conn); !ok {
		t.Fatalf("%s socket not wrapped: %T", network, wa)
	}
	t.Cleanup(func() { wa.Close(); wd.Close() })
	return wa, wd
}

// TestRoundTrip sends more than a socket buffer holds each way at once, so
// writes meet a full buffer and wait, and reads find the socket empty.
func TestRoundTrip(t *testing.T) {
	for _, network := range []string{"tcp", "unix"} {
		t.Run(network, func(t *testing.T) {
			a, b := pair(t, network)
			msg := make([]byte, 8<<20)
			if _, err := rand.Read(msg); err != nil {
				t.Fatal(err)
			}
			type result struct {
				got []byte
				err error
			}
			read := func(c net.Conn) chan result {
				ch := make(chan result, 1)
				go func() {
					got, err := io.ReadAll(io.LimitReader(c, int64(len(msg))))
					ch <- result{got, err}
				}()
				return ch
			}
			ra, rb := read(a), read(b)
			werr := make(chan error, 2)
			for _, c := range []net.Conn{a, b} {
				go func() {
					n, err := c.Write(msg)
					if err == nil && n != len(msg) {
						err = io.ErrShortWrite
					}
					werr <- err
				}()
			}
			for range 2 {
				if err := <-werr; err != nil {
					t.Fatal(err)
				}
			}
			for _, ch := range []chan result{ra, rb} {
				r := <-ch
				if r.err != nil || !bytes.Equal(r.got, msg) {
					t.Fatalf("read %d bytes (err %v), want the %d sent", len(r.got), r.err, len(msg))
				}
			}
		})
	}
}

// TestEOF: the peer's close reads as io.EOF, as on a net.Conn.
func TestEOF(t *testing.T) {
	a, b := pair(t, "tcp")
	if _, err := b.Write([]byte("last")); err != nil {
		t.Fatal(err)
	}
	b.Close()
	got, err := io.ReadAll(a)
	if err != nil || string(got) != "last" {
		t.Fatalf("ReadAll = %q, %v; want \"last\", nil", got, err)
	}
	if n, err := a.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("Read after EOF = %d, %v", n, err)
	}
}

// TestDeadline: a read deadline ends a waiting Read with a timeout error
// that errors.Is and net.Error recognise.
func TestDeadline(t *testing.T) {
	a, _ := pair(t, "tcp")
	if err := a.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := a.Read(make([]byte, 10))
	var ne net.Error
	if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("Read past the deadline = %v, want a timeout", err)
	}
	if d := time.Since(start); d < 40*time.Millisecond {
		t.Fatalf("Read returned after %v, before its deadline", d)
	}
}

// TestCloseWakesReader: closing the connection ends a Read waiting on it
// with net.ErrClosed.
func TestCloseWakesReader(t *testing.T) {
	a, _ := pair(t, "tcp")
	errc := make(chan error, 1)
	go func() {
		_, err := a.Read(make([]byte, 10))
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	a.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Read on a closed conn = %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still waiting after Close")
	}
	if _, err := a.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write on a closed conn = %v, want net.ErrClosed", err)
	}
}

// TestWriteToClosedPeer: writing to a peer that has gone fails instead of
// pretending to succeed.
func TestWriteToClosedPeer(t *testing.T) {
	a, b := pair(t, "tcp")
	b.Close()
	var err error
	for i := 0; i < 100 && err == nil; i++ {
		_, err = a.Write(make([]byte, 64<<10))
		time.Sleep(time.Millisecond)
	}
	if err == nil {
		t.Fatal("writes to a closed peer kept succeeding")
	}
}

// TestWrapLeavesOthers: what is not a socket (a pipe) or is already
// wrapped comes back as it is.
func TestWrapLeavesOthers(t *testing.T) {
	p, q := net.Pipe()
	defer p.Close()
	defer q.Close()
	if Wrap(p) != p {
		t.Fatal("net.Pipe wrapped")
	}
	a, _ := pair(t, "tcp")
	if Wrap(a) != a {
		t.Fatal("a wrapped conn wrapped again")
	}
}

// TestNoAllocations: a Read and a Write of a wrapped socket allocate
// nothing (the proxy makes two of each per statement).
func TestNoAllocations(t *testing.T) {
	a, b := pair(t, "tcp")
	msg, buf := []byte("ping"), make([]byte, 16)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := a.Write(msg); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(b, buf[:len(msg)]); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Fatalf("a Write and a Read allocate %.1f times", allocs)
	}
}
