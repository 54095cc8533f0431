// Package rawio reads and writes a socket with raw system calls: a
// net.Conn whose Read and Write call read(2) and write(2) without telling
// the Go scheduler they entered a system call.
//
// Why: on a loopback or a virtual machine a socket write takes long enough
// (the kernel runs the receiver's side of TCP in the same call) that the
// runtime's monitor thread sees the goroutine still in the system call,
// takes its processor away and wakes another thread to run the rest; it
// then keeps polling every 20 µs. A proxy that forwards each of many small
// messages pays that in thread switches, which cost more than the copy.
// A socket here is non-blocking (every net.Conn's is), so read and write
// return at once, with EAGAIN when they would wait, and the wait itself
// goes through the runtime's poller as usual (syscall.RawConn): deadlines
// and Close behave as they do for the net.Conn.
//
// Only for sockets (TCP and Unix): Wrap returns anything else as it is.
// Files are the one exception, through WriteAt alone: a write to the page
// cache does not wait on the disk (an fsync does, and stays a normal
// system call).
package rawio
