package gateway_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/gateway"
	"github.com/oauthgate/oauthgate/internal/webservertest"
)

// An upstream that sends bytes past the end of its answer (a HEAD answered
// with a body, a body longer than its Content-Length) never makes one
// client's request get another's answer, with either transport. Guests
// plant a page that is itself an HTTP answer (a <script>) while a
// logged-in user reads a private page over the same pooled upstream
// connections; every answer names the request it answers, so any crossing
// shows.
func TestNoCrossedAnswers(t *testing.T) {
	t.Parallel()
	upstreams := []struct {
		name string
		// start returns the upstream's URL.
		start func(t *testing.T) string
		// plant is the guests' method for the planted page.
		plant string
		// rounds is how many times each client asks: enough for the
		// crossing to show on a gateway that lets it happen (Python's
		// server, slower, needs fewer).
		rounds int
	}{
		{"HEAD answered with a body", func(t *testing.T) string { return rawAppUpstream(t, headWithBody) }, http.MethodHead, 60},
		{"body past its Content-Length", func(t *testing.T) string { return rawAppUpstream(t, bodyPastLength) }, http.MethodGet, 60},
		{"python http.server with do_HEAD = do_GET", func(t *testing.T) string {
			return webservertest.Python(t, pythonHeadIsGet).URL
		}, http.MethodHead, 15},
	}
	for _, up := range upstreams {
		for _, kind := range []string{gateway.TransportDirect, gateway.TransportStandard} {
			t.Run(up.name+"/"+kind, func(t *testing.T) {
				t.Parallel()
				upURL := up.start(t)
				no := false
				e := newEnv(t, nil, func(c *gateway.Config) {
					c.UpstreamTransport = kind
					c.Upstreams = []gateway.Upstream{
						{PathPrefix: "/pub", URL: upURL, Require: gateway.RequirePublic, LoginRedirect: &no},
						{PathPrefix: "/app", URL: upURL, Require: gateway.RequireLogin, LoginRedirect: &no},
					}
				})
				crossings := plantAndRead(t, e, up.plant, up.rounds)
				if crossings > 0 {
					t.Errorf("%d answers went to another client's request", crossings)
				}
			})
		}
	}
}

// plantAndRead runs guests that plant pages (method plant on
// /pub/plant) and read their own public page, beside user requests for a
// private page, all at once, each rounds times, and returns how many
// answers named another request than the one they answered (the first
// are reported).
func plantAndRead(t *testing.T, e *env, plant string, rounds int) int {
	const guests, users = 4, 4
	guest, user := e.guest(), e.browser(alice)
	var (
		mu        sync.Mutex
		crossings int
		wg        sync.WaitGroup
	)
	// ask sends method target as c and reports an answer that is not
	// target's own.
	ask := func(c *caller, method, target string) {
		req, _ := http.NewRequest(method, e.srv.URL+target, nil)
		resp, err := c.hc.Do(req)
		if err != nil {
			t.Errorf("%s: %s %s: %v", c.name, method, target, err)
			return
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := answerTo(target)
		if method == http.MethodHead {
			want = ""
		}
		if err == nil && resp.StatusCode == http.StatusOK && string(body) == want {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if err == nil && resp.StatusCode == http.StatusOK {
			crossings++
			if crossings <= 3 {
				t.Errorf("%s: %s %s got another request's answer: %.160q", c.name, method, target, body)
			}
			return
		}
		t.Errorf("%s: %s %s: status %d: %.160q (%v)", c.name, method, target, resp.StatusCode, body, err)
	}
	for g := range guests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				ask(guest, plant, fmt.Sprintf("/pub/plant?guest=%d&n=%d", g, i))
				ask(guest, http.MethodGet, fmt.Sprintf("/pub/page?guest=%d&n=%d", g, i))
			}
		}()
	}
	for u := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2 * rounds {
				ask(user, http.MethodGet, fmt.Sprintf("/app/private?user=%d&n=%d", u, i))
			}
		}()
	}
	wg.Wait()
	return crossings
}

// answerTo is the body of every answer but the planted page: it names the
// request target it answers.
func answerTo(target string) string { return "answer to " + target }

// planted is a page that is an HTTP answer in its own right: read as the
// next answer on the connection, it would put the guest's script in a
// user's browser.
func planted(target string) string {
	script := "<script>steal() /* planted by " + target + " */</script>"
	return "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + strconv.Itoa(len(script)) + "\r\n\r\n" + script
}

// headWithBody answers HEAD as GET, headers and body in two writes, the
// body a moment later (an app that flushes its headers, then renders),
// as the common do_HEAD = do_GET mistake does. /pub/plant is the planted
// page.
func headWithBody(w io.Writer, req *http.Request) {
	body := answerTo(req.RequestURI)
	if strings.HasPrefix(req.URL.Path, "/pub/plant") {
		body = planted(req.RequestURI)
	}
	fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", len(body))
	time.Sleep(50 * time.Microsecond)
	io.WriteString(w, body)
}

// bodyPastLength counts the length of a /pub answer without its tail, the
// planted page (an app that computes Content-Length from part of what it
// writes, or counts characters where it sends UTF-8 bytes), and writes
// the body in one write.
func bodyPastLength(w io.Writer, req *http.Request) {
	body := answerTo(req.RequestURI)
	tail := ""
	if strings.HasPrefix(req.URL.Path, "/pub/") {
		tail = planted(req.RequestURI)
	}
	fmt.Fprintf(w, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n", len(body))
	io.WriteString(w, body+tail)
}

// pythonHeadIsGet is the same app as headWithBody on Python's
// http.server, keep-alive on (HTTP/1.1), one thread per connection.
const pythonHeadIsGet = `import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class App(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path.startswith("/pub/plant"):
            script = "<script>steal() /* planted by %s */</script>" % self.path
            body = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(script), script)
        else:
            body = "answer to " + self.path
        body = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET

    def log_message(self, *args):
        pass

ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), App).serve_forever()
`

// rawAppUpstream serves HTTP/1.1 over plain TCP, as an app server does:
// it reads each request (keep-alive until the client asks to close or
// goes away) and lets answer write the answer's bytes exactly.
func rawAppUpstream(t *testing.T, answer func(w io.Writer, req *http.Request)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		conns = map[net.Conn]bool{}
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns[c] = true
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					answer(c, req)
					if req.Close {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}
