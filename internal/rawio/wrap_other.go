//go:build !unix

package rawio

import "net"

// Wrap returns c as it is: raw system calls are used on Unix systems only.
func Wrap(c net.Conn) net.Conn { return c }
