//go:build !linux

package main

import (
	"errors"
	"net"
)

type epollRelay struct{}

func newEpollRelay() (*epollRelay, error) {
	return nil, errors.New("relay: -epoll needs Linux")
}

func (*epollRelay) add(net.Conn, string) {}
