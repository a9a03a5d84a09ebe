package gateway

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingServer is an httptest server that counts the connections it
// accepted.
type countingServer struct {
	*httptest.Server
	conns atomic.Int64
}

func newCountingServer(t *testing.T, h http.Handler) *countingServer {
	t.Helper()
	s := &countingServer{}
	s.Server = httptest.NewUnstartedServer(h)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func testTimeouts() *Timeouts {
	return &Timeouts{Dial: 5 * time.Second, TLSHandshake: 5 * time.Second, ResponseHeader: 5 * time.Second, UpstreamIdle: time.Minute}
}

// newTestTransport is the gateway's default transport; it is closed at
// the end of the test.
func newTestTransport(t *testing.T) *h1Transport {
	t.Helper()
	tr, ok := newTransport(testTimeouts(), TransportDirect, nil, nil).(*h1Transport)
	if !ok {
		t.Fatal("the default transport is not the direct one")
	}
	t.Cleanup(tr.close)
	return tr
}

// fetch sends req and reads the whole answer.
func fetch(t *testing.T, rt http.RoundTripper, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%s %s: body: %v", req.Method, req.URL, err)
	}
	return resp, string(body)
}

func newReq(method, url string, body io.Reader) *http.Request {
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		panic(err)
	}
	return req
}

// Each kind of answer arrives whole, and the connection is reused exactly
// when HTTP/1.1 allows it.
func TestH1Answers(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/len", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "hello")
	})
	mux.HandleFunc("/chunked", func(w http.ResponseWriter, r *http.Request) {
		for i := range 3 {
			fmt.Fprintf(w, "part%d;", i)
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/204", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("/304", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotModified) })
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s %s", r.Method, r.Header.Get("Expect"), b)
	})
	tests := []struct {
		name, method, path string
		body               string
		expect             bool
		wantCode           int
		wantBody           string
		reuse              bool // a second request goes on the same connection
	}{
		{"content length", "GET", "/len", "", false, 200, "hello", true},
		{"chunked", "GET", "/chunked", "", false, 200, "part0;part1;part2;", true},
		// A HEAD's connection ends with its answer (mustClose).
		{"HEAD", "HEAD", "/len", "", false, 200, "", false},
		{"204", "GET", "/204", "", false, 204, "", true},
		{"304", "GET", "/304", "", false, 304, "", true},
		{"empty", "GET", "/empty", "", false, 200, "", true},
		{"Connection: close", "GET", "/close", "", false, 200, "bye", false},
		{"request body (standard transport)", "POST", "/echo", "data", false, 200, "POST  data", true},
		{"100-continue (standard transport)", "PUT", "/echo", "data", true, 200, "PUT 100-continue data", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			up := newCountingServer(t, mux)
			tr := newTestTransport(t)
			mk := func() *http.Request {
				var body io.Reader
				if tt.body != "" {
					body = strings.NewReader(tt.body)
				}
				req := newReq(tt.method, up.URL+tt.path, body)
				if tt.expect {
					req.Header.Set("Expect", "100-continue")
				}
				return req
			}
			// The same request twice: the second shows whether the
			// first one's connection was kept.
			for range 2 {
				resp, got := fetch(t, tr, mk())
				if resp.StatusCode != tt.wantCode || got != tt.wantBody {
					t.Errorf("got %d %q; want %d %q", resp.StatusCode, got, tt.wantCode, tt.wantBody)
				}
			}
			want := int64(2)
			if tt.reuse {
				want = 1
			}
			if n := up.conns.Load(); n != want {
				t.Errorf("%d connections; want %d", n, want)
			}
		})
	}
}

// An answer whose body is closed before its end closes the connection
// (no drain of a possibly long body); the next request gets a new one.
func TestH1BodyClosedEarly(t *testing.T) {
	t.Parallel()
	up := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(make([]byte, 1<<20))
	}))
	tr := newTestTransport(t)
	resp, err := tr.RoundTrip(newReq("GET", up.URL, nil))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := resp.Body.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := resp.Body.Read(make([]byte, 10)); err == nil {
		t.Error("read after close succeeded")
	}
	if _, got := fetch(t, tr, newReq("GET", up.URL, nil)); len(got) != 1<<20 {
		t.Errorf("next answer %d bytes", len(got))
	}
	if n := up.conns.Load(); n != 2 {
		t.Errorf("%d connections; want 2", n)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if n := len(tr.idle[canonicalAddr(resp.Request.URL)]); n != 1 {
		t.Errorf("%d idle connections; want 1", n)
	}
}

// A GET on an idle connection the upstream has since closed is sent again
// on a new connection.
func TestH1UpstreamClosedIdle(t *testing.T) {
	t.Parallel()
	up := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	tr := newTestTransport(t)
	for i := range 3 {
		if _, got := fetch(t, tr, newReq("GET", up.URL, nil)); got != "ok" {
			t.Fatalf("request %d: %q", i, got)
		}
		up.CloseClientConnections()
	}
	if n := up.conns.Load(); n != 3 {
		t.Errorf("%d connections; want 3", n)
	}
}

// rawUpstream answers each connection with fn.
func rawUpstream(t *testing.T, fn func(c net.Conn, br *bufio.Reader)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				fn(c, bufio.NewReader(c))
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// readRequest reads one request's head.
func readRequest(br *bufio.Reader) bool {
	req, err := http.ReadRequest(br)
	if err != nil {
		return false
	}
	req.Body.Close()
	return true
}

// Broken upstreams give errors, never a hang or a half answer passed as
// whole.
func TestH1Errors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		serve   func(c net.Conn, br *bufio.Reader)
		timeout bool
	}{
		{"closes at once", func(c net.Conn, br *bufio.Reader) {}, false},
		{"closes after the request", func(c net.Conn, br *bufio.Reader) { readRequest(br) }, false},
		{"garbage", func(c net.Conn, br *bufio.Reader) {
			readRequest(br)
			io.WriteString(c, "SPDY/9 what\r\n\r\n")
		}, false},
		{"unasked 101", func(c net.Conn, br *bufio.Reader) {
			readRequest(br)
			io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n")
		}, false},
		{"no headers in time", func(c net.Conn, br *bufio.Reader) {
			readRequest(br)
			time.Sleep(time.Second)
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			u := rawUpstream(t, tt.serve)
			to := testTimeouts()
			to.ResponseHeader = 200 * time.Millisecond
			tr := newTransport(to, TransportDirect, nil, nil)
			defer tr.close()
			resp, err := tr.RoundTrip(newReq("GET", u, nil))
			if err == nil {
				resp.Body.Close()
				t.Fatalf("answer %d; want an error", resp.StatusCode)
			}
			var ne net.Error
			if isTimeout := errors.As(err, &ne) && ne.Timeout(); isTimeout != tt.timeout {
				t.Errorf("error %v: timeout %v; want %v", err, isTimeout, tt.timeout)
			}
		})
	}
}

// A body cut short by the upstream is an error, not a short answer.
func TestH1TruncatedBody(t *testing.T) {
	t.Parallel()
	u := rawUpstream(t, func(c net.Conn, br *bufio.Reader) {
		readRequest(br)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
	})
	tr := newTestTransport(t)
	resp, err := tr.RoundTrip(newReq("GET", u, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if b, err := io.ReadAll(resp.Body); err == nil {
		t.Errorf("read %q without error", b)
	}
}

// An answer without a length ends with the connection, which is not
// reused; 1xx answers before the final one go to the trace.
func TestH1UntilCloseAnd1xx(t *testing.T) {
	t.Parallel()
	var conns atomic.Int64
	u := rawUpstream(t, func(c net.Conn, br *bufio.Reader) {
		conns.Add(1)
		readRequest(br)
		io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")
		io.WriteString(c, "HTTP/1.1 200 OK\r\n\r\nuntil close")
	})
	tr := newTestTransport(t)
	for range 2 {
		var hints []string
		trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
			hints = append(hints, fmt.Sprint(code, " ", h.Get("Link")))
			return nil
		}}
		req := newReq("GET", u, nil)
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
		resp, got := fetch(t, tr, req)
		if resp.StatusCode != 200 || got != "until close" {
			t.Errorf("got %d %q", resp.StatusCode, got)
		}
		if len(hints) != 1 || hints[0] != "103 </a.css>; rel=preload" {
			t.Errorf("1xx seen: %q", hints)
		}
	}
	if n := conns.Load(); n != 2 {
		t.Errorf("%d connections; want 2", n)
	}
}

// The client going away ends the wait for the upstream at once.
func TestH1Cancel(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	up := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer close(release)
	tr := newTestTransport(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := tr.RoundTrip(newReq("GET", up.URL, nil).WithContext(ctx))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v; want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

// Idle connections older than upstream_idle are not reused.
func TestH1IdleTimeout(t *testing.T) {
	t.Parallel()
	up := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	tr := newTestTransport(t)
	var mu sync.Mutex
	now := time.Now()
	tr.nowForTs = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	fetch(t, tr, newReq("GET", up.URL, nil))
	mu.Lock()
	now = now.Add(tr.idleTimeout + time.Second)
	mu.Unlock()
	fetch(t, tr, newReq("GET", up.URL, nil))
	if n := up.conns.Load(); n != 2 {
		t.Errorf("%d connections; want 2", n)
	}
}

// Many goroutines at once each get their own answer.
func TestH1Concurrent(t *testing.T) {
	t.Parallel()
	up := newCountingServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.Query().Get("n"))
	}))
	tr := newTestTransport(t)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				n := fmt.Sprint(g*1000 + i)
				resp, err := tr.RoundTrip(newReq("GET", up.URL+"/?n="+n, nil))
				if err != nil {
					t.Error(err)
					return
				}
				b, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || string(b) != n {
					t.Errorf("got %q, %v; want %s", b, err, n)
				}
			}
		}()
	}
	wg.Wait()
	if n := up.conns.Load(); n > 16 {
		t.Errorf("%d connections for 16 clients", n)
	}
}

func TestCanonicalAddr(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://a/": "a:80", "http://a:8080/": "a:8080", "http://[::1]/": "[::1]:80", "http://[::1]:81/x": "[::1]:81",
	} {
		if got := canonicalAddr(newReq("GET", in, nil).URL); got != want {
			t.Errorf("canonicalAddr(%s) = %q; want %q", in, got, want)
		}
	}
}

// Only the plainest requests take the direct path.
func TestDirect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		req  func() *http.Request
		want bool
	}{
		{"GET", func() *http.Request { return newReq("GET", "http://a/", nil) }, true},
		{"HEAD", func() *http.Request { return newReq("HEAD", "http://a/", nil) }, true},
		{"https", func() *http.Request { return newReq("GET", "https://a/", nil) }, false},
		{"POST", func() *http.Request { return newReq("POST", "http://a/", nil) }, false},
		{"GET with a body", func() *http.Request { return newReq("GET", "http://a/", strings.NewReader("x")) }, false},
		{"upgrade", func() *http.Request {
			r := newReq("GET", "http://a/", nil)
			r.Header.Set("Connection", "Upgrade")
			r.Header.Set("Upgrade", "websocket")
			return r
		}, false},
		{"expect", func() *http.Request {
			r := newReq("GET", "http://a/", nil)
			r.Header.Set("Expect", "100-continue")
			return r
		}, false},
		{"user info", func() *http.Request { return newReq("GET", "http://u:p@a/", nil) }, false},
		{"bad header name", func() *http.Request {
			r := newReq("GET", "http://a/", nil)
			r.Header["X Y"] = []string{"1"}
			return r
		}, false},
		{"newline in a value", func() *http.Request {
			r := newReq("GET", "http://a/", nil)
			r.Header.Set("X-Y", "a\r\nInjected: 1")
			return r
		}, false},
	}
	for _, tt := range tests {
		if got := direct(tt.req()); got != tt.want {
			t.Errorf("%s: direct %v; want %v", tt.name, got, tt.want)
		}
	}
}

// Idle connections are closed in the background once upstream_idle has
// passed, and none is kept after close.
func TestH1Reaper(t *testing.T) {
	t.Parallel()
	closed := make(chan struct{}, 4)
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	up.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateClosed {
			closed <- struct{}{}
		}
	}
	up.Start()
	defer up.Close()
	to := testTimeouts()
	to.UpstreamIdle = 50 * time.Millisecond
	tr := newTransport(to, TransportDirect, nil, nil).(*h1Transport)
	fetch(t, tr, newReq("GET", up.URL, nil))
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("the idle connection was not closed")
	}
	tr.close()
	fetch(t, tr, newReq("GET", up.URL, nil))
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("a connection was kept after close")
	}
}
