//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package gateway

import (
	"net"
	"syscall"
)

// canProbeIdle reports whether [connProbe] can look at connections here.
const canProbeIdle = true

// connProbe looks, without blocking and without taking anything, at what
// waits on a connection. A read with a deadline in the past cannot tell:
// Go's poller fails it before asking the kernel.
type connProbe struct {
	raw    syscall.RawConn
	peek   func(fd uintptr) // p.peekFD, bound once: no allocation per look
	buf    [len("HTTP/1.1 408")]byte
	result peekResult
}

func (p *connProbe) init(c net.Conn) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	p.raw, p.peek = raw, p.peekFD
}

// look tells what waits on the connection. It may run while another
// goroutine reads the connection (Control takes no read lock).
func (p *connProbe) look() peekResult {
	if p.raw == nil {
		return peekUnknown
	}
	if err := p.raw.Control(p.peek); err != nil {
		return peekGone
	}
	return p.result
}

// peekFD is one recv(MSG_PEEK|MSG_DONTWAIT).
func (p *connProbe) peekFD(fd uintptr) {
	n, _, err := syscall.Recvfrom(int(fd), p.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	switch {
	case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK:
		p.result = peekNothing
	case err != nil || n <= 0:
		p.result = peekGone
	default:
		p.result = strayOrFarewell(p.buf[:n])
	}
}
