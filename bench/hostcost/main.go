// Command hostcost measures what this machine charges for the operations
// a proxy's kernel time is made of: a system call, a page fault, a pwrite
// of a record line (to tmpfs and to disk), a record line made durable
// (fsync, fdatasync, and fdatasync over blocks written before: the
// disk's floor), a goroutine woken on another thread, and a loopback TCP
// round trip. On a virtual machine these can be
// many times their bare-metal cost, and the gateway's profile reads
// differently for it (see bench/RESULTS.md).
//
//	go run ./bench/hostcost [-dir DISKDIR]
package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"time"
)

// rounds is how many times each measurement is repeated; the median is
// printed.
const rounds = 5

func main() {
	dir := flag.String("dir", os.TempDir(), "directory on the disk whose pwrite is measured")
	flag.Parse()
	fmt.Printf("%-34s %10s\n", "operation", "median")
	report("system call (getppid)", syscallCost)
	report("page fault (first touch, 4 KiB)", pageFaultCost)
	if _, err := os.Stat("/dev/shm"); err == nil {
		report("pwrite 1.5 KB to /dev/shm", func() time.Duration { return pwriteCost("/dev/shm") })
	}
	report("pwrite 1.5 KB to "+*dir, func() time.Duration { return pwriteCost(*dir) })
	report("append 1.5 KB + fsync to "+*dir, func() time.Duration { return syncCost(*dir, syscall.Fsync) })
	report("append 1.5 KB + fdatasync to "+*dir, func() time.Duration { return syncCost(*dir, syscall.Fdatasync) })
	report("overwrite 1.5 KB + fdatasync to "+*dir, func() time.Duration { return overwriteSyncCost(*dir) })
	report("goroutine wake on another thread", wakeCost)
	report("loopback TCP round trip (1 byte)", tcpRoundTrip)
}

// report prints the median of rounds measurements of one operation.
func report(name string, measure func() time.Duration) {
	var ds []time.Duration
	for range rounds {
		ds = append(ds, measure())
	}
	slices.Sort(ds)
	fmt.Printf("%-34s %8.2f µs\n", name, float64(ds[len(ds)/2].Nanoseconds())/1000)
}

func syscallCost() time.Duration {
	const n = 100000
	start := time.Now()
	for range n {
		syscall.Getppid()
	}
	return time.Since(start) / n
}

func pageFaultCost() time.Duration {
	const size = 64 << 20
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		fail(err)
	}
	defer syscall.Munmap(b)
	start := time.Now()
	for i := 0; i < size; i += 4096 {
		b[i] = 1
	}
	return time.Since(start) / (size / 4096)
}

func pwriteCost(dir string) time.Duration {
	return appendCost(dir, 20000, false, nil)
}

// syncCost is an append of a record line and its sync (fsync or
// fdatasync): what a decision waits for under DurabilityFsync when no
// other decision shares the sync.
func syncCost(dir string, sync func(fd int) error) time.Duration {
	return appendCost(dir, 200, false, sync)
}

// overwriteSyncCost is syncCost's fdatasync over blocks written before:
// no size or allocation changes, so no journal commit — the floor of a
// sync on this disk.
func overwriteSyncCost(dir string) time.Duration {
	return appendCost(dir, 200, true, syscall.Fdatasync)
}

// appendCost times n pwrites of a 1.5 KB record line one after another
// in a new file in dir, each followed by sync when it is not nil. With
// prefilled, the file's blocks are written and synced first, so the
// pwrites change neither its size nor its allocation.
func appendCost(dir string, n int, prefilled bool, sync func(fd int) error) time.Duration {
	f, err := os.CreateTemp(dir, "hostcost")
	if err != nil {
		fail(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	line := make([]byte, 1500)
	for i := range line {
		line[i] = 'a'
	}
	if prefilled {
		if _, err := f.Write(make([]byte, n*len(line))); err != nil {
			fail(err)
		}
		if err := f.Sync(); err != nil {
			fail(err)
		}
	}
	fd := int(f.Fd())
	var off int64
	start := time.Now()
	for range n {
		if _, err := syscall.Pwrite(fd, line, off); err != nil {
			fail(fmt.Errorf("pwrite %s: %w", filepath.Base(f.Name()), err))
		}
		if sync != nil {
			if err := sync(fd); err != nil {
				fail(err)
			}
		}
		off += int64(len(line))
	}
	return time.Since(start) / time.Duration(n)
}

// wakeCost is half a ping-pong between two goroutines on two threads.
func wakeCost() time.Duration {
	if runtime.GOMAXPROCS(0) < 2 {
		return 0
	}
	ping, pong := make(chan struct{}), make(chan struct{})
	go func() {
		runtime.LockOSThread()
		for range ping {
			pong <- struct{}{}
		}
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	const n = 20000
	start := time.Now()
	for range n {
		ping <- struct{}{}
		<-pong
	}
	close(ping)
	return time.Since(start) / (2 * n)
}

func tcpRoundTrip() time.Duration {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		b := make([]byte, 1)
		for {
			if _, err := c.Read(b); err != nil {
				return
			}
			if _, err := c.Write(b); err != nil {
				return
			}
		}
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		fail(err)
	}
	defer c.Close()
	b := make([]byte, 1)
	const n = 10000
	start := time.Now()
	for range n {
		if _, err := c.Write(b); err != nil {
			fail(err)
		}
		if _, err := c.Read(b); err != nil {
			fail(err)
		}
	}
	return time.Since(start) / n
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "hostcost:", err)
	os.Exit(1)
}
