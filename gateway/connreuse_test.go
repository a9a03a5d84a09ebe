package gateway

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tail is what a broken upstream sends past an answer: an answer of its
// own, which the next request on the connection would get.
const tail = "HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nplanted"

// Bytes past an answer close its connection, and no other answer is
// read from it. The direct transport then reuses no connection to that
// upstream (more bytes could come later than any look); an upstream's
// farewell 408 is no such bytes. The standard transport marks the
// upstream when a request takes the connection before the Transport's
// own reader has closed it, which one request at a time may or may not
// do: there only the answers are checked. An answer that announces a body
// it may not have (a 204 with a Content-Length) is never followed by
// another on its connection, even when the body comes late.
func TestStrayBytes(t *testing.T) {
	t.Parallel()
	type outcome struct {
		conns int64 // connections the upstream accepted
		stray bool  // the upstream is marked (and logged)
	}
	tests := []struct {
		name string
		// first is what the upstream writes for GET /first, after
		// which it closes the connection if close is set; every other
		// answer is "ok".
		first func(w io.Writer)
		close bool
		// The answers to GET /first, then three GET /x in turn.
		wantFirst string
		want      map[string]*outcome // by transport; nil: the answers only
	}{
		{"bytes past the answer", func(w io.Writer) {
			io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"+tail)
		}, false, "first", map[string]*outcome{TransportDirect: {4, true}, TransportStandard: nil}},
		{"a 408 before the upstream closes", func(w io.Writer) {
			io.WriteString(w, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst"+"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n")
		}, true, "first", map[string]*outcome{TransportDirect: {2, false}, TransportStandard: nil}},
		{"a 204 with a body that comes late", func(w io.Writer) {
			io.WriteString(w, "HTTP/1.1 204 No Content\r\nContent-Length: 51\r\n\r\n")
			time.Sleep(20 * time.Millisecond)
			io.WriteString(w, tail)
		}, false, "", map[string]*outcome{TransportDirect: {2, false}, TransportStandard: {2, false}}},
	}
	for _, tt := range tests {
		for kind, want := range tt.want {
			t.Run(tt.name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				var conns atomic.Int64
				u := rawUpstream(t, func(c net.Conn, br *bufio.Reader) {
					conns.Add(1)
					for {
						req, err := http.ReadRequest(br)
						if err != nil {
							return
						}
						if req.URL.Path == "/first" {
							tt.first(c)
							if tt.close {
								return
							}
							continue
						}
						io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
					}
				})
				var logs lockedLog
				tr := newTransport(testTimeouts(), kind, nil, slog.New(slog.NewTextHandler(&logs, nil)))
				t.Cleanup(tr.close)
				if _, got := fetch(t, tr, newReq("GET", u+"/first", nil)); got != tt.wantFirst {
					t.Fatalf("GET /first: %q; want %q", got, tt.wantFirst)
				}
				for i := range 3 {
					if _, got := fetch(t, tr, newReq("GET", u+"/x", nil)); got != "ok" {
						t.Fatalf("GET /x (%d): %q; want ok", i, got)
					}
				}
				if want == nil {
					return
				}
				if n := conns.Load(); n != want.conns {
					t.Errorf("%d connections; want %d", n, want.conns)
				}
				var strays *strayUpstreams
				switch tr := tr.(type) {
				case *h1Transport:
					strays = tr.strays
				case stdTransport:
					strays = tr.strays
				}
				if got := strays.has(strings.TrimPrefix(u, "http://")); got != want.stray {
					t.Errorf("upstream marked as sending stray bytes: %v; want %v", got, want.stray)
				}
				if logged := strings.Contains(logs.String(), "no longer reused"); logged != want.stray {
					t.Errorf("logged %v; want %v: %s", logged, want.stray, logs.String())
				}
			})
		}
	}
}

// lockedLog is a log destination that tests read.
type lockedLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A look at a connection tells nothing waiting, stray bytes, and the
// end (a close, or a 408 first) apart, without taking anything.
func TestConnProbe(t *testing.T) {
	t.Parallel()
	if !canProbeIdle {
		t.Skip("no look at connections on this system")
	}
	tests := []struct {
		name string
		peer func(c net.Conn)
		want peekResult
	}{
		{"stray bytes", func(c net.Conn) { io.WriteString(c, tail) }, peekStray},
		{"a 408", func(c net.Conn) { io.WriteString(c, "HTTP/1.1 408 Request Timeout\r\n\r\n") }, peekGone},
		{"closed", func(c net.Conn) { c.Close() }, peekGone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, peer := tcpPair(t)
			var p connProbe
			p.init(c)
			if got := p.look(); got != peekNothing {
				t.Fatalf("before the peer acts: %v; want nothing", got)
			}
			tt.peer(peer)
			waitFor(t, func() bool { return p.look() != peekNothing })
			if got := p.look(); got != tt.want {
				t.Errorf("got %v; want %v", got, tt.want)
			}
			if tt.want == peekStray {
				// Looking took nothing.
				buf := make([]byte, len(tail))
				if _, err := io.ReadFull(c, buf); err != nil || string(buf) != tail {
					t.Errorf("read after the look: %q, %v", buf, err)
				}
			}
		})
	}
}

// tcpPair returns the two ends of a loopback TCP connection, closed at
// the end of the test.
func tcpPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, ok := <-accepted
	if !ok {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// waitFor polls cond until it holds, failing the test after 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
	}
}

// A reused connection of net/http's Transport carries a request only
// once the Transport's reader waits on it with nothing buffered, or after
// the reader closed it; a reader that closed it after reading bytes
// nobody asked for marks the upstream, one that met the end of the
// stream or a 408 does not. The Transport's reader is played here by the
// test, in the order the Transport follows: read, then close on what it
// found while no request was expected.
func TestAwaitIdleReader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// peer acts on the upstream's end; then the reader reads once
		// (and closes) unless it waits.
		peer      func(c net.Conn)
		waits     bool
		wantStray bool
	}{
		{"reader waiting, nothing sent", func(net.Conn) {}, true, false},
		{"bytes past the answer", func(c net.Conn) { io.WriteString(c, "first"+tail) }, false, true},
		{"upstream closed", func(c net.Conn) { c.Close() }, false, false},
		{"a 408, then closed", func(c net.Conn) {
			io.WriteString(c, "HTTP/1.1 408 Request Timeout\r\n\r\n")
			c.Close()
		}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			strays := newStrayUpstreams(nil)
			dial := watchDial((&net.Dialer{}).DialContext, strays)
			accepted := make(chan net.Conn, 1)
			go func() {
				c, _ := ln.Accept()
				accepted <- c
			}()
			conn, err := dial(context.Background(), "tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			wc := conn.(*watchedConn)
			defer wc.Close()
			peer := <-accepted
			if peer == nil {
				t.Fatal("accept failed")
			}
			defer peer.Close()
			tt.peer(peer)
			readDone := make(chan struct{})
			if tt.waits {
				go func() {
					defer close(readDone)
					wc.Read(make([]byte, 4096))
				}()
			} else {
				wc.Read(make([]byte, 4096))
				wc.Close()
				close(readDone)
			}
			wc.awaitIdleReader()
			wc.mu.Lock()
			closed := wc.closed
			wc.mu.Unlock()
			if tt.waits && closed {
				t.Error("the connection was closed; want it kept for the request")
			}
			if got := strays.has(wc.key); got != tt.wantStray {
				t.Errorf("upstream marked as sending stray bytes: %v; want %v", got, tt.wantStray)
			}
			wc.Close()
			<-readDone
		})
	}
}

func TestStrayOrFarewell(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]peekResult{
		"HTTP/1.1 408 Request Timeout": peekGone,
		"HTTP/1.0 408 ":                peekGone,
		"HTTP/1.1 200 OK":              peekStray,
		"HTTP/1.1 40":                  peekStray,
		"x":                            peekStray,
	} {
		if got := strayOrFarewell([]byte(in)); got != want {
			t.Errorf("strayOrFarewell(%q) = %v; want %v", in, got, want)
		}
	}
}
