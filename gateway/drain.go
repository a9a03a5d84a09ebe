package gateway

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// cutGrace bounds the wait, after Drain has closed the upgraded
// connections, for their proxying to stop (it stops as soon as the copy
// sees the closed connection).
const cutGrace = time.Second

// errDraining refuses a protocol switch that comes after Drain closed the
// upgraded connections.
var errDraining = errors.New("gateway: shutting down")

// upgrades tracks the connections the proxy switched to another protocol
// (WebSocket and any other Upgrade). The server hands them over on
// Hijack, so http.Server.Shutdown neither waits for them nor closes them;
// the proxy keeps copying both ways until one side ends.
type upgrades struct {
	mu    sync.Mutex
	open  map[*upgrade]struct{}
	cut   bool          // Drain's deadline has passed: refuse new switches
	ended chan struct{} // closed and replaced when one ends; nil when nobody waits
}

// upgrade is one switched connection; conn is nil until the server has
// handed it over.
type upgrade struct{ conn net.Conn }

// hijack takes the connection from w for the proxy and tracks it until
// done. It is tracked before the server lets go of it, so that a Shutdown
// that returns has every switched connection counted.
func (u *upgrades) hijack(w http.ResponseWriter) (*upgrade, net.Conn, *bufio.ReadWriter, error) {
	up := &upgrade{}
	u.mu.Lock()
	if u.cut {
		u.mu.Unlock()
		return nil, nil, nil, errDraining
	}
	if u.open == nil {
		u.open = map[*upgrade]struct{}{}
	}
	u.open[up] = struct{}{}
	u.mu.Unlock()

	conn, brw, err := http.NewResponseController(w).Hijack()
	u.mu.Lock()
	defer u.mu.Unlock()
	switch {
	case err != nil:
		u.removeLocked(up)
		return nil, nil, nil, err
	case u.cut:
		// Drain closed the others while the server was handing this
		// one over.
		_ = conn.Close()
		u.removeLocked(up)
		return nil, nil, nil, errDraining
	}
	up.conn = conn
	return up, conn, brw, nil
}

// done stops tracking up: the proxy has stopped copying (the handler
// returned).
func (u *upgrades) done(up *upgrade) {
	u.mu.Lock()
	u.removeLocked(up)
	u.mu.Unlock()
}

func (u *upgrades) removeLocked(up *upgrade) {
	delete(u.open, up)
	if u.ended != nil {
		close(u.ended)
		u.ended = nil
	}
}

// count returns the number tracked, and a channel closed when one ends.
func (u *upgrades) count() (int, <-chan struct{}) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ended == nil {
		u.ended = make(chan struct{})
	}
	return len(u.open), u.ended
}

// closeAll refuses new switches and closes the open connections; it
// returns how many it closed. Each is closed on its own goroutine: a TLS
// connection's Close may wait to send its close_notify alert.
func (u *upgrades) closeAll() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.cut = true
	for up := range u.open {
		if up.conn != nil {
			go up.conn.Close()
		}
	}
	return len(u.open)
}

// Upgraded returns the number of upgraded connections (WebSocket and other
// protocols switched to by an upstream) open through the gateway.
func (g *Gateway) Upgraded() int {
	n, _ := g.upgrades.count()
	return n
}

// Drain waits until the upgraded connections have ended by themselves:
// http.Server.Shutdown does not wait for them, since the server no longer
// owns them. When ctx ends first, Drain closes those still open (and
// refuses new ones), waits briefly for the proxy to let go of them, and
// returns how many it closed. Call it after Shutdown has returned, with
// what is left of the shutdown budget; a reload leaves upgraded
// connections open on the configuration they started with.
func (g *Gateway) Drain(ctx context.Context) (closed int) {
	if g.upgrades.wait(ctx) {
		return 0
	}
	closed = g.upgrades.closeAll()
	grace, cancel := context.WithTimeout(context.Background(), cutGrace)
	defer cancel()
	g.upgrades.wait(grace)
	return closed
}

// wait waits until none is tracked (true) or ctx ends (false).
func (u *upgrades) wait(ctx context.Context) bool {
	for {
		n, ended := u.count()
		if n == 0 {
			return true
		}
		select {
		case <-ended:
		case <-ctx.Done():
			return false
		}
	}
}

// Hijack hands the connection over to the proxy for a protocol switch,
// tracked by [Gateway.Drain].
func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	up, conn, brw, err := r.upgrades.hijack(r.ResponseWriter)
	if err == nil {
		r.upgrade = up
		if r.status == 0 {
			// The proxy hijacks once the upstream has answered 101, and
			// writes that answer on the connection, past the recorder.
			r.status = http.StatusSwitchingProtocols
		}
	}
	return conn, brw, err
}

// doneUpgrade stops tracking the hijacked connection, if any: the
// handler has returned.
func (r *recorder) doneUpgrade() {
	if r.upgrade != nil {
		r.upgrades.done(r.upgrade)
	}
}
