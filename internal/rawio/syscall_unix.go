//go:build unix

package rawio

import (
	"syscall"
	"unsafe"
)

// rawRead is read(2) on fd without entering the scheduler's system call
// state; len(p) > 0.
func rawRead(fd uintptr, p []byte) (int, syscall.Errno) {
	r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	return int(r), e
}

// rawWrite is write(2) on fd, as rawRead; len(p) > 0.
func rawWrite(fd uintptr, p []byte) (int, syscall.Errno) {
	r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	return int(r), e
}
