// Package pgtest gives tests a PostgreSQL capability store whose server
// can be made unreachable: the store talks to the test server through a
// TCP link that the test cuts, as a network partition or a stopped server
// would. The server is named by OAUTHGATE_TEST_POSTGRES; without it the
// tests that need one are skipped. Only tests import this package.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// DSNEnv names the variable that points the tests at a PostgreSQL server.
const DSNEnv = "OAUTHGATE_TEST_POSTGRES"

// DSN returns the test server's DSN, or skips the test.
func DSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(DSNEnv)
	if dsn == "" {
		tb.Skip("no PostgreSQL server; set " + DSNEnv + ", e.g. " + DSNEnv +
			"='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' (.ci/run does)")
	}
	return dsn
}

// Link forwards TCP connections to the test server until it is cut.
type Link struct {
	// DSN is the test server's DSN with the link's address as its host.
	DSN string

	target string
	ln     net.Listener
	mu     sync.Mutex
	cut    bool
	conns  map[net.Conn]struct{}
}

// NewLink starts a link to the test server, closed at the end of the test.
func NewLink(tb testing.TB) *Link {
	tb.Helper()
	u, err := url.Parse(DSN(tb))
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		tb.Skipf("pgtest: the link needs %s as a postgres:// URL with a host", DSNEnv)
	}
	target := u.Host
	if u.Port() == "" {
		target = net.JoinHostPort(u.Hostname(), "5432")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	u.Host = ln.Addr().String()
	l := &Link{DSN: u.String(), target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	go l.serve()
	tb.Cleanup(func() {
		ln.Close()
		l.Cut()
	})
	return l
}

// Cut closes every connection through the link and refuses new ones.
func (l *Link) Cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cut = true
	for c := range l.conns {
		c.Close()
	}
}

func (l *Link) serve() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		if !l.track(c) {
			continue
		}
		go l.pipe(c)
	}
}

// track records c, or closes it once the link is cut.
func (l *Link) track(c net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cut {
		c.Close()
		return false
	}
	l.conns[c] = struct{}{}
	return true
}

func (l *Link) pipe(c net.Conn) {
	defer l.forget(c)
	up, err := net.Dial("tcp", l.target)
	if err != nil || !l.track(up) {
		return
	}
	defer l.forget(up)
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
}

func (l *Link) forget(c net.Conn) {
	c.Close()
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// OpenStore opens a store through the link in a schema of its own,
// dropped at the end of the test, that keeps no cache: once the link is
// cut, every read that needs the server fails with
// [store.ErrUnavailable] (see [WaitUnavailable]).
func (l *Link) OpenStore(tb testing.TB, g *capabilities.Graph) *pgstore.Store {
	tb.Helper()
	schema := "t_" + randomHex()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := pgstore.Open(ctx, l.DSN, g, pgstore.Options{Schema: schema, StaleAfter: -1, CacheEntries: -1})
	if err != nil {
		tb.Fatalf("pgtest: opening the store: %v", err)
	}
	tb.Cleanup(func() {
		s.Close()
		dropSchema(tb, schema)
	})
	return s
}

// WaitUnavailable waits until s, whose link was cut, knows it: its reads
// fail with [store.ErrUnavailable] rather than being served from
// what it heard before. It fails the test after ten seconds.
func WaitUnavailable(tb testing.TB, s *pgstore.Store) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, _, err := s.Client(context.Background(), "pgtest-nobody")
		if errors.Is(err, store.ErrUnavailable) {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("pgtest: the store still answers after its link was cut (last error: %v)", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func dropSchema(tb testing.TB, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, DSN(tb))
	if err != nil {
		tb.Errorf("pgtest: dropping schema %s: %v", schema, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
		tb.Errorf("pgtest: dropping schema %s: %v", schema, err)
	}
}

func randomHex() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
