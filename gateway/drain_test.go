package gateway_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/websocket"

	"github.com/oauthgate/oauthgate/gateway"
)

// wsEnv is a gateway in front of a WebSocket echo; ended receives once
// for each upstream connection that ends.
type wsEnv struct {
	*env
	ended chan struct{}
	token string // alice's
}

func newWSEnv(t *testing.T) *wsEnv {
	t.Helper()
	ended := make(chan struct{}, 10)
	echo := websocket.Server{Handler: func(c *websocket.Conn) {
		defer func() { ended <- struct{}{} }()
		for {
			var msg string
			if err := websocket.Message.Receive(c, &msg); err != nil {
				return
			}
			if err := websocket.Message.Send(c, "echo: "+msg); err != nil {
				return
			}
		}
	}}
	e := newEnv(t, echo, nil)
	return &wsEnv{env: e, ended: ended, token: e.userToken(alice)}
}

// dial opens a WebSocket through the gateway at base as alice.
func (e *wsEnv) dial(t *testing.T, base string) (*websocket.Conn, error) {
	t.Helper()
	cfg, err := websocket.NewConfig("ws"+strings.TrimPrefix(base, "http")+"/app/ws", base)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Header = http.Header{"Authorization": {"Bearer " + e.token}}
	return websocket.DialConfig(cfg)
}

// echo sends msg on c and returns the error of the round trip, if any.
func echo(c *websocket.Conn, msg string) error {
	if err := websocket.Message.Send(c, msg); err != nil {
		return err
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	var got string
	if err := websocket.Message.Receive(c, &got); err != nil {
		return err
	}
	if got != "echo: "+msg {
		return &unexpected{got}
	}
	return nil
}

type unexpected struct{ got string }

func (u *unexpected) Error() string { return "unexpected answer " + u.got }

// shutdown runs the server's Shutdown, which must return at once: the
// server no longer owns the upgraded connections.
func (e *wsEnv) shutdown(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.srv.Config.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

// Drain waits for an upgraded connection, which keeps working, until
// its client closes it.
func TestDrainWaits(t *testing.T) {
	t.Parallel()
	e := newWSEnv(t)
	if n := e.gw.Drain(context.Background()); n != 0 {
		t.Errorf("Drain without connections closed %d", n)
	}
	conn, err := e.dial(t, e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := echo(conn, "before"); err != nil {
		t.Fatal(err)
	}
	e.shutdown(t)
	if n := e.gw.Upgraded(); n != 1 {
		t.Fatalf("Upgraded after Shutdown: %d, want 1", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	drained := make(chan int, 1)
	go func() { drained <- e.gw.Drain(ctx) }()
	for _, msg := range []string{"during", "still"} {
		if err := echo(conn, msg); err != nil {
			t.Fatalf("during the drain: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case n := <-drained:
		t.Fatalf("Drain returned (%d closed) while the connection was open", n)
	default:
	}
	_ = conn.Close()
	select {
	case n := <-drained:
		if n != 0 {
			t.Errorf("Drain closed %d, want 0", n)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Drain did not return after the client closed")
	}
	if n := e.gw.Upgraded(); n != 0 {
		t.Errorf("Upgraded after the drain: %d", n)
	}
	if info, ok := e.obs.last("/app/ws"); !ok || info.Status != http.StatusSwitchingProtocols || info.Decision != gateway.DecisionAllow {
		t.Errorf("reported: %+v", info)
	}
}

// When the budget runs out, Drain closes the upgraded connections on
// both sides and refuses new ones.
func TestDrainCuts(t *testing.T) {
	t.Parallel()
	e := newWSEnv(t)
	var conns []*websocket.Conn
	for range 2 {
		conn, err := e.dial(t, e.srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if err := echo(conn, "hello"); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
	}
	e.shutdown(t)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if n := e.gw.Drain(ctx); n != 2 {
		t.Errorf("Drain closed %d, want 2", n)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Drain took %s with a 200ms budget", d)
	}
	if n := e.gw.Upgraded(); n != 0 {
		t.Errorf("Upgraded after the cut: %d", n)
	}
	for i, conn := range conns {
		if err := echo(conn, "after"); err == nil {
			t.Errorf("connection %d still echoes after the cut", i)
		}
	}
	for range conns {
		select {
		case <-e.ended:
		case <-time.After(5 * time.Second):
			t.Fatal("the upstream side stayed open")
		}
	}

	// Another server on the same gateway: requests are still proxied
	// (the upstream answers 400 to a plain GET), protocol switches are
	// refused.
	srv := httptest.NewServer(e.gw)
	defer srv.Close()
	if _, err := e.dial(t, srv.URL); err == nil {
		t.Error("a WebSocket opened after the cut")
	}
	if resp, _ := e.bearer(alice, e.token).get(t, srv.URL+"/app/x"); resp.StatusCode == http.StatusBadGateway {
		t.Errorf("a plain request after the cut: %d", resp.StatusCode)
	}
}

// A reload leaves upgraded connections open on the configuration they
// started with.
func TestWebSocketSurvivesReload(t *testing.T) {
	t.Parallel()
	e := newWSEnv(t)
	conn, err := e.dial(t, e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := echo(conn, "before"); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		cfg := *e.gw.Config()
		if err := e.gw.Reload(context.Background(), &cfg); err != nil {
			t.Fatal(err)
		}
		if err := echo(conn, "after a reload"); err != nil {
			t.Fatalf("after reload %d: %v", i+1, err)
		}
	}
	if n := e.gw.Upgraded(); n != 1 {
		t.Errorf("Upgraded: %d, want 1", n)
	}
	// The retired configurations wait for it; their closing does not
	// touch it either.
	time.Sleep(200 * time.Millisecond)
	if err := echo(conn, "later"); err != nil {
		t.Fatal(err)
	}
}
