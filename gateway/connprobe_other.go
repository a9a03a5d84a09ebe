//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package gateway

import "net"

// canProbeIdle reports whether [connProbe] can look at connections here:
// it cannot, so the direct transport, which needs it, is not used (see
// newTransport).
const canProbeIdle = false

type connProbe struct{}

func (p *connProbe) init(net.Conn) {}

func (p *connProbe) look() peekResult { return peekUnknown }
