// Command relay is the floor of any Go proxy in front of PostgreSQL: it
// copies bytes between each client and its own upstream connection, two
// goroutines per session, and understands nothing. bench/postgres/run.sh
// measures it beside pgbouncer and the gateway, so the gateway's cost is
// read in two parts: what a Go proxy costs at all (relay vs pgbouncer) and
// what judging, masking and recording add (gateway vs relay).
//
//	relay -listen 127.0.0.1:6438 -upstream 127.0.0.1:5432
package main

import (
	"flag"
	"io"
	"log"
	"net"

	"github.com/airlock-sdk/airlock/internal/rawio"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:6438", "address to accept clients on")
	upstream := flag.String("upstream", "127.0.0.1:5432", "PostgreSQL address")
	epoll := flag.Bool("epoll", false, "one thread and one epoll set for every session instead of two goroutines per session")
	raw := flag.Bool("raw", false, "two goroutines per session reading and writing with raw system calls (internal/rawio), as the gateway does")
	flag.Parse()
	var ep *epollRelay
	if *epoll {
		var err error
		if ep, err = newEpollRelay(); err != nil {
			log.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		if ep != nil {
			ep.add(c, *upstream)
			continue
		}
		go relay(c, *upstream, *raw)
	}
}

// relay pipes one client to a fresh upstream connection until either side
// closes. With raw, both sockets are read and written with raw system
// calls, a buffer at a time, as the gateway's are.
func relay(c net.Conn, upstream string, raw bool) {
	defer c.Close()
	u, err := net.Dial("tcp", upstream)
	if err != nil {
		log.Print(err)
		return
	}
	defer u.Close()
	copyAll := io.Copy
	if raw {
		c, u = rawio.Wrap(c), rawio.Wrap(u)
		copyAll = func(dst io.Writer, src io.Reader) (int64, error) {
			return io.CopyBuffer(struct{ io.Writer }{dst}, struct{ io.Reader }{src}, make([]byte, 32<<10))
		}
	}
	done := make(chan struct{})
	go func() {
		_, _ = copyAll(u, c)
		close(done)
	}()
	_, _ = copyAll(c, u)
	<-done
}
