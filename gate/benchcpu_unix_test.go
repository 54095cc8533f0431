//go:build unix

package gate_test

import (
	"syscall"
	"testing"
	"time"
)

// processCPU is the CPU time the process used so far (user and system):
// unlike the wall clock, it does not count time other processes of a
// shared machine took.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process's CPU time per operation since start (a
// processCPU reading), garbage collection included.
func reportCPU(b *testing.B, start time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
	}
}
