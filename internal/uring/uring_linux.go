//go:build linux

package uring

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// System call numbers: the same on every Linux architecture (the
// generic table), since io_uring came after the tables were unified.
const (
	sysSetup    = 425
	sysEnter    = 426
	sysRegister = 427
)

const (
	opFsync         = 3          // IORING_OP_FSYNC
	sqeAsync        = 1 << 4     // IOSQE_ASYNC: straight to a kernel worker
	registerEventfd = 4          // IORING_REGISTER_EVENTFD
	offSQRing       = 0          // IORING_OFF_SQ_RING
	offCQRing       = 0x8000000  // IORING_OFF_CQ_RING
	offSQEs         = 0x10000000 // IORING_OFF_SQES
	sqeSize         = 64
	cqeSize         = 16
)

// params mirrors struct io_uring_params.
type params struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFd uint32
	resv                                                                   [3]uint32
	sq                                                                     sqOffsets
	cq                                                                     cqOffsets
}

// sqOffsets mirrors struct io_sqring_offsets.
type sqOffsets struct {
	head, tail, ringMask, ringEntries, flags, dropped, array, resv1 uint32
	userAddr                                                        uint64
}

// cqOffsets mirrors struct io_cqring_offsets.
type cqOffsets struct {
	head, tail, ringMask, ringEntries, overflow, cqes, flags, resv1 uint32
	userAddr                                                        uint64
}

// Syncer fsyncs files through one io_uring. Its methods are safe for
// concurrent use; fsyncs through one Syncer run one at a time.
type Syncer struct {
	mu    sync.Mutex
	ring  int // the io_uring's file descriptor; -1 once closed
	p     params
	sq    []byte // submission ring
	cq    []byte // completion ring
	sqes  []byte // submission entries
	event *os.File
	// eventConn reads event with a raw system call (readSignal): a read
	// through os.File is a blocking-call entry, which wakes the runtime's
	// monitor thread from its long sleep, and the monitor then polls
	// every 20 µs for a millisecond — what this package is for avoiding.
	eventConn  syscall.RawConn
	readSignal func(fd uintptr) bool // bound once: a Read allocates nothing
	signal     [8]byte               // eventfd counter, read to wait
	signalErr  syscall.Errno         // readSignal's outcome
}

// New sets up an io_uring with an eventfd for its completions. It fails
// where io_uring is unavailable; see the package comment.
func New() (*Syncer, error) {
	s := &Syncer{ring: -1}
	s.p.sqEntries = 2
	fd, _, errno := syscall.Syscall(sysSetup, 2, uintptr(unsafe.Pointer(&s.p)), 0)
	if errno != 0 {
		return nil, fmt.Errorf("uring: io_uring_setup: %w", errno)
	}
	s.ring = int(fd)
	if err := s.mapRings(); err != nil {
		s.release()
		return nil, err
	}
	efd, _, errno := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
	if errno != 0 {
		s.release()
		return nil, fmt.Errorf("uring: eventfd: %w", errno)
	}
	// Non-blocking, so os.NewFile puts it in the runtime's poller.
	s.event = os.NewFile(efd, "io_uring eventfd")
	var err error
	if s.eventConn, err = s.event.SyscallConn(); err != nil {
		s.release()
		return nil, fmt.Errorf("uring: eventfd: %w", err)
	}
	s.readSignal = s.readEvent
	efd32 := int32(efd)
	if _, _, errno := syscall.Syscall6(sysRegister, uintptr(s.ring), registerEventfd, uintptr(unsafe.Pointer(&efd32)), 1, 0, 0); errno != 0 {
		s.release()
		return nil, fmt.Errorf("uring: register eventfd: %w", errno)
	}
	return s, nil
}

func (s *Syncer) mapRings() error {
	var err error
	s.sq, err = syscall.Mmap(s.ring, offSQRing, int(s.p.sq.array+s.p.sqEntries*4), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		return fmt.Errorf("uring: map submission ring: %w", err)
	}
	s.cq, err = syscall.Mmap(s.ring, offCQRing, int(s.p.cq.cqes+s.p.cqEntries*cqeSize), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		return fmt.Errorf("uring: map completion ring: %w", err)
	}
	s.sqes, err = syscall.Mmap(s.ring, offSQEs, int(s.p.sqEntries*sqeSize), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED|syscall.MAP_POPULATE)
	if err != nil {
		return fmt.Errorf("uring: map submission entries: %w", err)
	}
	return nil
}

// release undoes what New set up; the caller holds mu or owns s alone.
func (s *Syncer) release() {
	for _, m := range [][]byte{s.sq, s.cq, s.sqes} {
		if m != nil {
			_ = syscall.Munmap(m)
		}
	}
	s.sq, s.cq, s.sqes = nil, nil, nil
	if s.event != nil {
		s.event.Close()
		s.event = nil
	}
	if s.ring >= 0 {
		syscall.Close(s.ring)
		s.ring = -1
	}
}

// u32 is the ring word at off in m, shared with the kernel.
func u32(m []byte, off uint32) *uint32 {
	return (*uint32)(unsafe.Pointer(&m[off]))
}

// ErrClosed is returned by Sync after Close.
var ErrClosed = errors.New("uring: syncer closed")

// Sync flushes f to its disk as f.Sync does (fsync(2): data and
// metadata), and returns the same errors, as *os.PathError. The calling
// goroutine waits in the runtime's poller; f stays open until the fsync
// is done, even if it is closed meanwhile.
func (s *Syncer) Sync(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var res int32
	var serr error
	// Control holds f's descriptor open across the whole fsync: the
	// kernel may look the descriptor up only when its worker starts.
	if cerr := rc.Control(func(fd uintptr) { res, serr = s.fsync(int32(fd)) }); cerr != nil {
		// The one error Control gives a file: it is closed (f.Sync says
		// os.ErrClosed for internal/poll's ErrFileClosing).
		return &os.PathError{Op: "sync", Path: f.Name(), Err: os.ErrClosed}
	}
	if serr != nil {
		return serr
	}
	if res < 0 {
		return &os.PathError{Op: "sync", Path: f.Name(), Err: syscall.Errno(-res)}
	}
	return nil
}

// fsync submits one fsync of fd and waits for its completion, returning
// the completion's result (0, or a negated errno).
func (s *Syncer) fsync(fd int32) (int32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ring < 0 {
		return 0, ErrClosed
	}
	tail := atomic.LoadUint32(u32(s.sq, s.p.sq.tail))
	idx := tail & *u32(s.sq, s.p.sq.ringMask)
	sqe := s.sqes[idx*sqeSize : (idx+1)*sqeSize]
	clear(sqe)
	sqe[0] = opFsync
	sqe[1] = sqeAsync
	*(*int32)(unsafe.Pointer(&sqe[4])) = fd
	*u32(s.sq, s.p.sq.array+idx*4) = idx
	atomic.StoreUint32(u32(s.sq, s.p.sq.tail), tail+1)
	for {
		// With IOSQE_ASYNC the kernel only queues the fsync for its
		// worker: the call returns at once.
		n, _, errno := syscall.RawSyscall6(sysEnter, uintptr(s.ring), 1, 0, 0, 0, 0)
		if errno == syscall.EINTR || errno == syscall.EAGAIN || errno == syscall.EBUSY {
			continue
		}
		if errno != 0 {
			return 0, fmt.Errorf("uring: io_uring_enter: %w", errno)
		}
		if n != 1 {
			return 0, fmt.Errorf("uring: io_uring_enter submitted %d entries, want 1", n)
		}
		break
	}
	for {
		head := atomic.LoadUint32(u32(s.cq, s.p.cq.head))
		if head != atomic.LoadUint32(u32(s.cq, s.p.cq.tail)) {
			off := s.p.cq.cqes + (head&*u32(s.cq, s.p.cq.ringMask))*cqeSize
			res := *(*int32)(unsafe.Pointer(&s.cq[off+8]))
			atomic.StoreUint32(u32(s.cq, s.p.cq.head), head+1)
			return res, nil
		}
		// Park in the poller until the kernel signals a completion.
		if err := s.waitEvent(); err != nil {
			return 0, fmt.Errorf("uring: wait for completion: %w", err)
		}
	}
}

// waitEvent reads the eventfd's counter, waiting in the runtime's poller
// while it is zero.
func (s *Syncer) waitEvent() error {
	for {
		if err := s.eventConn.Read(s.readSignal); err != nil {
			return err
		}
		switch s.signalErr {
		case 0:
			return nil
		case syscall.EINTR:
			continue
		default:
			return os.NewSyscallError("read", s.signalErr)
		}
	}
}

// readEvent is the RawConn callback of waitEvent: one raw read, false
// (wait for the poller) while the counter is zero.
func (s *Syncer) readEvent(fd uintptr) bool {
	_, _, s.signalErr = syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&s.signal[0])), uintptr(len(s.signal)))
	return s.signalErr != syscall.EAGAIN
}

// Close releases the io_uring. It waits for an fsync in flight.
func (s *Syncer) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.release()
	return nil
}
