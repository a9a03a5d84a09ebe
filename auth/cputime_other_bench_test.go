//go:build !unix

package auth

import (
	"testing"
	"time"
)

// processCPU is not measured on this system.
func processCPU() time.Duration { return 0 }

// reportCPU reports nothing where the CPU time is not measured.
func reportCPU(*testing.B, time.Duration) {}
