//go:build linux && (amd64 || arm64)

package rawio

import (
	"io"
	"os"
	"syscall"
	"unsafe"
)

// WriteAt writes all of p to f at off, as f.WriteAt does (f not opened
// with O_APPEND), with raw system calls. A write to a regular file returns
// without waiting on the disk (it fills the page cache), so it can skip
// the scheduler's system call bookkeeping, which wakes the runtime's
// monitor thread from its sleep on every write once the process was idle.
// The cost: in the rare write the kernel does hold up (dirty-page
// throttling, a journal commit), this goroutine's processor waits with
// it. An fsync, which always waits on the disk, must not come here.
func WriteAt(f *os.File, p []byte, off int64) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	done := 0
	for done < len(p) {
		var n int
		var errno syscall.Errno
		werr := rc.Write(func(fd uintptr) bool {
			n, errno = rawPwrite(fd, p[done:], off+int64(done))
			return true
		})
		switch {
		case werr != nil:
			// The one error RawConn.Write gives a regular file: it is
			// being closed (internal/poll's ErrFileClosing, which f.WriteAt
			// reports as os.ErrClosed).
			return done, &os.PathError{Op: "write", Path: f.Name(), Err: os.ErrClosed}
		case errno == syscall.EINTR || errno == syscall.EAGAIN:
			continue
		case errno != 0:
			return done, &os.PathError{Op: "write", Path: f.Name(), Err: errno}
		case n == 0:
			return done, &os.PathError{Op: "write", Path: f.Name(), Err: io.ErrShortWrite}
		}
		done += n
	}
	return done, nil
}

// rawPwrite is pwrite(2) on fd, as rawWrite; len(p) > 0.
func rawPwrite(fd uintptr, p []byte, off int64) (int, syscall.Errno) {
	r, _, e := syscall.RawSyscall6(syscall.SYS_PWRITE64, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), uintptr(off), 0, 0)
	return int(r), e
}
