//go:build unix

package rawio

import (
	"io"
	"net"
	"syscall"
)

// Conn is a socket whose Read and Write use raw system calls; everything
// else (deadlines, Close, addresses) is the wrapped net.Conn's.
type Conn struct {
	net.Conn
	rc syscall.RawConn
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
	return &Conn{Conn: c, rc: rc}
}

// Read reads what the socket holds, waiting through the runtime's poller
// when it holds nothing.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var errno syscall.Errno
	err := c.rc.Read(func(fd uintptr) bool {
		n, errno = rawRead(fd, p)
		return errno != syscall.EAGAIN
	})
	switch {
	case err != nil:
		return 0, c.opError("read", err)
	case errno == syscall.EINTR:
		return c.Read(p)
	case errno != 0:
		return 0, c.opError("read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p, waiting through the runtime's poller whenever the
// socket's buffer is full.
func (c *Conn) Write(p []byte) (int, error) {
	var done int
	for done < len(p) {
		var n int
		var errno syscall.Errno
		err := c.rc.Write(func(fd uintptr) bool {
			n, errno = rawWrite(fd, p[done:])
			return errno != syscall.EAGAIN
		})
		if err != nil {
			return done, c.opError("write", err)
		}
		if errno == syscall.EINTR {
			continue
		}
		if errno != 0 {
			return done, c.opError("write", errno)
		}
		done += n
	}
	return done, nil
}

// opError wraps err as the net package would, so callers that look for a
// timeout or a closed connection (errors.Is, net.Error) see the same.
func (c *Conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: err}
}
