//go:build unix

package auth

import (
	"syscall"
	"testing"
	"time"
)

// processCPU returns the CPU time (user and system, every thread, the
// garbage collector's included) that the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process's CPU time per iteration since start as
// "cpu-ns/op". Unlike ns/op it does not grow when other processes take
// the CPU, so it stays comparable on a busy machine; it counts the
// collector's work on other cores, so on an idle one it exceeds ns/op.
func reportCPU(b *testing.B, start time.Duration) {
	if b.N > 0 && start > 0 {
		b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
	}
}
