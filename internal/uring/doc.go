// Package uring fsyncs files through io_uring, so that the goroutine that
// waits for the disk parks in the runtime's poller instead of sitting in a
// blocking system call.
//
// Why: while a goroutine is in a blocking system call, the runtime's
// monitor thread (sysmon) takes its processor away, hands it to another
// thread, and then polls every 20 µs for the next millisecond or so. A
// recorder that fsyncs every few milliseconds keeps the monitor there: on
// the PostgreSQL gateway that was about 5 % of its CPU, in thread switches.
// Through io_uring the kernel runs the fsync on a worker thread of its own
// and signals an eventfd when it is done, which the goroutine reads
// through the poller as it would a socket, with a raw system call: a
// read through os.File enters the call as a blocking one, which wakes the
// monitor from its long sleep into the same 20 µs polling (on the
// PostgreSQL gateway: 0.3 of its sleeps and 0.5 of its thread switches
// per statement).
//
//	s, err := uring.New()
//	if err != nil {
//		// io_uring is unavailable: use f.Sync
//	}
//	defer s.Close()
//	err = s.Sync(f) // same effect and errors as f.Sync
//
// New fails where io_uring is unavailable (other systems, kernels before
// 5.6, a seccomp profile that forbids it, kernel.io_uring_disabled): the
// caller must then fall back to (*os.File).Sync.
package uring
