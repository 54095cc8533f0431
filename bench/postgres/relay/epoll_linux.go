package main

import (
	"log"
	"net"
	"runtime"
	"syscall"
)

// epollRelay is the same relay written the way pgbouncer is: one thread,
// one epoll set for every socket, a read only when epoll says there is
// something to read, no goroutine per session and no Go netpoller. It
// measures how much of a Go proxy's cost is the goroutine-per-connection
// model rather than Go itself.
type epollRelay struct {
	epfd int
}

func newEpollRelay() (*epollRelay, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	r := &epollRelay{epfd: epfd}
	go r.loop()
	return r, nil
}

// add hands a client and its upstream to the event loop. Each socket's
// epoll entry carries its peer, so the loop needs no table.
func (r *epollRelay) add(c net.Conn, upstream string) {
	u, err := net.Dial("tcp", upstream)
	if err != nil {
		log.Print(err)
		c.Close()
		return
	}
	cfd, err1 := detach(c)
	ufd, err2 := detach(u)
	if err1 != nil || err2 != nil {
		log.Print(err1, err2)
		return
	}
	for _, p := range [][2]int{{cfd, ufd}, {ufd, cfd}} {
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(p[0]), Pad: int32(p[1])}
		if err := syscall.EpollCtl(r.epfd, syscall.EPOLL_CTL_ADD, p[0], &ev); err != nil {
			log.Print(err)
		}
	}
}

// detach takes the socket away from the Go runtime: a blocking duplicate
// for writes, read with MSG_DONTWAIT; the original is closed.
func detach(c net.Conn) (int, error) {
	f, err := c.(*net.TCPConn).File()
	c.Close()
	if err != nil {
		return -1, err
	}
	fd, err := syscall.Dup(int(f.Fd()))
	f.Close()
	return fd, err
}

func (r *epollRelay) loop() {
	runtime.LockOSThread()
	events := make([]syscall.EpollEvent, 128)
	buf := make([]byte, 64<<10)
	for {
		n, err := syscall.EpollWait(r.epfd, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		for _, ev := range events[:n] {
			from, to := int(ev.Fd), int(ev.Pad)
			m, _, err := syscall.Recvfrom(from, buf, syscall.MSG_DONTWAIT)
			if err == syscall.EAGAIN {
				continue
			}
			if m <= 0 || err != nil || writeAll(to, buf[:m]) != nil {
				_ = syscall.EpollCtl(r.epfd, syscall.EPOLL_CTL_DEL, from, nil)
				_ = syscall.EpollCtl(r.epfd, syscall.EPOLL_CTL_DEL, to, nil)
				syscall.Close(from)
				syscall.Close(to)
			}
		}
	}
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
