//go:build linux && (amd64 || arm64)

package rawio

import (
	"io"
	"os"
	"sync"
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
	op := pwrites.Get().(*pwriteOp)
	defer func() {
		op.p = nil
		pwrites.Put(op)
	}()
	done := 0
	for done < len(p) {
		op.p, op.off = p[done:], off+int64(done)
		werr := rc.Write(op.call)
		switch {
		case werr != nil:
			// The one error RawConn.Write gives a regular file: it is
			// being closed (internal/poll's ErrFileClosing, which f.WriteAt
			// reports as os.ErrClosed).
			return done, &os.PathError{Op: "write", Path: f.Name(), Err: os.ErrClosed}
		case op.errno == syscall.EINTR || op.errno == syscall.EAGAIN:
			continue
		case op.errno != 0:
			return done, &os.PathError{Op: "write", Path: f.Name(), Err: op.errno}
		case op.n == 0:
			return done, &os.PathError{Op: "write", Path: f.Name(), Err: io.ErrShortWrite}
		}
		done += op.n
	}
	return done, nil
}

// pwriteOp is one pwrite's arguments and results, with the RawConn
// callback bound to them once: pooled, a WriteAt allocates nothing.
type pwriteOp struct {
	p     []byte
	off   int64
	n     int
	errno syscall.Errno
	call  func(fd uintptr) bool
}

var pwrites = sync.Pool{New: func() any {
	op := &pwriteOp{}
	op.call = op.run
	return op
}}

// run is the RawConn callback: one pwrite, never a wait (a regular file
// is always ready).
func (op *pwriteOp) run(fd uintptr) bool {
	op.n, op.errno = rawPwrite(fd, op.p, op.off)
	return true
}

// rawPwrite is pwrite(2) on fd, as rawWrite; len(p) > 0.
func rawPwrite(fd uintptr, p []byte, off int64) (int, syscall.Errno) {
	r, _, e := syscall.RawSyscall6(syscall.SYS_PWRITE64, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), uintptr(off), 0, 0)
	return int(r), e
}
