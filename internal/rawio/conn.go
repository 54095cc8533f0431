//go:build unix

package rawio

import (
	"io"
	"net"
	"sync"
	"syscall"
)

// Conn is a socket whose Read and Write use raw system calls; everything
// else (deadlines, Close, addresses) is the wrapped net.Conn's.
type Conn struct {
	net.Conn
	rc     syscall.RawConn
	reader rawOp
	writer rawOp
}

// rawOp is one direction's call: its arguments and results live here, and
// call, bound once, is what the RawConn runs, so a Read or Write
// allocates nothing (a closure over its locals would, every time).
type rawOp struct {
	mu    sync.Mutex // one call at a time, as net.Conn allows several callers
	sys   func(fd uintptr, p []byte) (int, syscall.Errno)
	p     []byte
	n     int
	errno syscall.Errno
	call  func(fd uintptr) bool
}

// run is the RawConn callback: one system call, false (wait for the
// poller) when the socket would block.
func (op *rawOp) run(fd uintptr) bool {
	op.n, op.errno = op.sys(fd, op.p)
	return op.errno != syscall.EAGAIN
}

// Wrap returns c reading and writing with raw system calls when it is a
// TCP or Unix socket, and c itself otherwise (a TLS connection, a pipe, a
// connection already wrapped).
func Wrap(c net.Conn) net.Conn {
	switch c.(type) {
	case *net.TCPConn, *net.UnixConn:
	default:
		return c
	}
	rc, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return c
	}
	w := &Conn{Conn: c, rc: rc}
	w.reader.sys, w.writer.sys = rawRead, rawWrite
	w.reader.call, w.writer.call = w.reader.run, w.writer.run
	return w
}

// Read reads what the socket holds, waiting through the runtime's poller
// when it holds nothing.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	op := &c.reader
	op.mu.Lock()
	defer op.mu.Unlock()
	op.p = p
	defer func() { op.p = nil }()
	for {
		err := c.rc.Read(op.call)
		switch {
		case err != nil:
			return 0, c.opError("read", err)
		case op.errno == syscall.EINTR:
			continue
		case op.errno != 0:
			return 0, c.opError("read", op.errno)
		case op.n == 0:
			return 0, io.EOF
		}
		return op.n, nil
	}
}

// Write writes all of p, waiting through the runtime's poller whenever the
// socket's buffer is full.
func (c *Conn) Write(p []byte) (int, error) {
	op := &c.writer
	op.mu.Lock()
	defer op.mu.Unlock()
	defer func() { op.p = nil }()
	done := 0
	for done < len(p) {
		op.p = p[done:]
		err := c.rc.Write(op.call)
		if err != nil {
			return done, c.opError("write", err)
		}
		if op.errno == syscall.EINTR {
			continue
		}
		if op.errno != 0 {
			return done, c.opError("write", op.errno)
		}
		done += op.n
	}
	return done, nil
}

// opError wraps err as the net package would, so callers that look for a
// timeout or a closed connection (errors.Is, net.Error) see the same.
func (c *Conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
