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
)

func main() {
	listen := flag.String("listen", "127.0.0.1:6438", "address to accept clients on")
	upstream := flag.String("upstream", "127.0.0.1:5432", "PostgreSQL address")
	epoll := flag.Bool("epoll", false, "one thread and one epoll set for every session instead of two goroutines per session")
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
		go relay(c, *upstream)
	}
}

// relay pipes one client to a fresh upstream connection until either side
// closes.
func relay(c net.Conn, upstream string) {
	defer c.Close()
	u, err := net.Dial("tcp", upstream)
	if err != nil {
		log.Print(err)
		return
	}
	defer u.Close()
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(u, c)
		close(done)
	}()
	_, _ = io.Copy(c, u)
	<-done
}
