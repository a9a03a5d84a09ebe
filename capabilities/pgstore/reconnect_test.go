package pgstore_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/capabilities/store/storetest"
)

// TestTerminatedBackendsAreSurvived kills every session of a store in
// the middle of its life, as an administrator or a failover would: the
// next requests succeed, and the store is listening again afterwards.
func TestTerminatedBackendsAreSurvived(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := storetest.Graph(t)
	schema := newSchema(t)
	app := randomName("oauthgate-test-")
	s := openStore(t, g, schema, pgstore.Options{ApplicationName: app})
	other := openStore(t, g, schema, pgstore.Options{})
	if _, err := s.Set(ctx, "u@example.com", []string{"read"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "u@example.com"); err != nil {
		t.Fatal(err)
	}
	conn := admin(t)
	var killed int
	if err := conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed < 2 {
		t.Fatalf("terminated %d sessions; want the pool's and the listener's", killed)
	}
	v := s.Version()

	// At once, through a dead pool connection: the store retries on a new one.
	if got, err := s.Set(ctx, "u@example.com", []string{"read", "write"}); err != nil || !slices.Equal(got, []string{"read", "write"}) {
		t.Fatalf("Set after the termination = %q, %v", got, err)
	}
	if got, err := s.Get(ctx, "new@example.com"); err != nil || got != nil {
		t.Fatalf("Get after the termination = %q, %v", got, err)
	}
	if _, err := s.List(ctx); err != nil {
		t.Fatalf("List after the termination: %v", err)
	}
	if err := s.Revoke(ctx, "tok", time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("Revoke after the termination: %v", err)
	}

	// The listener came back: changes made elsewhere reach the cache again.
	if !eventually(5*time.Second, func() bool { return s.Version() > v+1 }) {
		t.Fatal("the store did not reconnect its listener")
	}
	for round := range 3 {
		want := []string{[]string{"a", "b", "moderate"}[round]}
		if _, err := other.Set(ctx, "u@example.com", want); err != nil {
			t.Fatal(err)
		}
		if !eventually(time.Second, func() bool {
			got, err := s.Get(ctx, "u@example.com")
			return err == nil && slices.Equal(got, want)
		}) {
			t.Fatalf("round %d: the store does not see changes after reconnecting", round)
		}
	}
	if err := other.Revoke(ctx, "tok-other", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !eventually(time.Second, func() bool { return s.Revoked("tok-other", "", time.Now()) }) {
		t.Fatal("the store does not see revocations after reconnecting")
	}
}

// TestUnreachableDatabase cuts the store off the server through a proxy:
// cached reads are served for StaleAfter, then refused; writes are refused
// at once with ErrUnavailable; everything works again when the server is
// back.
func TestUnreachableDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := storetest.Graph(t)
	p := newProxy(t)
	clock := newFakeClock()
	s := openStoreDSN(t, p.dsn, g, newSchema(t), pgstore.Options{Now: clock.Now, StaleAfter: time.Minute})
	if _, err := s.Set(ctx, "u@example.com", []string{"read"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Revoke(ctx, "tok", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "u@example.com"); err != nil { // cached
		t.Fatal(err)
	}

	p.setDown(true)
	unavailable := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s while the server is unreachable = %v; want ErrUnavailable", op, err)
		}
	}
	_, err := s.Set(ctx, "u@example.com", []string{"write"})
	unavailable("Set", err)
	_, err = s.Add(ctx, "u@example.com", "write")
	unavailable("Add", err)
	unavailable("Revoke", s.Revoke(ctx, "tok-2", time.Now().Add(time.Hour)))
	_, err = s.Get(ctx, "uncached@example.com")
	unavailable("Get of an uncached user", err)
	_, err = s.List(ctx)
	unavailable("List", err)
	if got, err := s.Get(ctx, "u@example.com"); err != nil || !slices.Equal(got, []string{"read"}) {
		t.Errorf("cached Get within StaleAfter = %q, %v; want [read]", got, err)
	}
	if !s.Revoked("tok", "", time.Now()) {
		t.Error("a known revocation is forgotten while the server is unreachable")
	}

	// Past StaleAfter (counted from the last moment the store was in
	// sync), the cache is no longer served.
	clock.Advance(2 * time.Minute)
	if !eventually(5*time.Second, func() bool {
		_, err := s.Get(ctx, "u@example.com")
		return errors.Is(err, store.ErrUnavailable)
	}) {
		t.Error("a stale cached entry is still served past StaleAfter")
	}

	p.setDown(false)
	if !eventually(10*time.Second, func() bool {
		_, err := s.Add(ctx, "u@example.com", "write")
		return err == nil
	}) {
		t.Fatal("writes do not succeed after the server is back")
	}
	if got, err := s.Get(ctx, "u@example.com"); err != nil || !slices.Equal(got, []string{"read", "write"}) {
		t.Errorf("Get after the server is back = %q, %v", got, err)
	}
	if err := s.Revoke(ctx, "tok-2", time.Now().Add(time.Hour)); err != nil {
		t.Errorf("Revoke after the server is back: %v", err)
	}
}

// proxy forwards TCP connections to the test server until it is set down:
// then it cuts every connection and refuses new ones, as a network
// partition or a stopped server would.
type proxy struct {
	dsn    string
	target string
	ln     net.Listener
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]struct{}
}

func newProxy(t *testing.T) *proxy {
	t.Helper()
	u, err := url.Parse(testDSN(t))
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		t.Skipf("pgstore: the proxy test needs %s as a postgres:// URL with a host", dsnEnv)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u.Host = ln.Addr().String()
	p := &proxy{dsn: u.String(), target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.setDown(true)
	})
	return p
}

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		go p.pipe(c)
	}
}

func (p *proxy) pipe(c net.Conn) {
	defer p.forget(c)
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		up.Close()
		return
	}
	p.conns[up] = struct{}{}
	p.mu.Unlock()
	defer p.forget(up)
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
}

func (p *proxy) forget(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
	}
}
