package upstreammodel

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Answer is what a [Server] answers: the request line's target as it
// arrived, and every route that some [Reading] of it (or of an
// X-Original-URL or X-Rewrite-URL header, which IIS and Symfony route on)
// would serve.
type Answer struct {
	Target string   `json:"target"`
	Routes []string `json:"routes"`
}

// Server is an app with the given routes behind every kind of server at
// once: it reads the raw request line itself (Go's server would parse the
// path first) and answers 200 with an [Answer] in JSON.
type Server struct {
	// URL is http://127.0.0.1:PORT.
	URL    string
	routes []string
	ln     net.Listener
	wg     sync.WaitGroup
}

// Start serves routes on a loopback port until the test ends.
func Start(t testing.TB, routes ...string) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{URL: "http://" + ln.Addr().String(), routes: routes, ln: ln}
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

// Routes returns the routes that some reading of target, or of the
// routing override headers in h, would serve, sorted.
func Routes(target string, h textproto.MIMEHeader, routes []string) []string {
	path, _, _ := strings.Cut(target, "?")
	paths := []string{path}
	for _, name := range []string{"X-Original-Url", "X-Rewrite-Url"} {
		if v := h.Get(name); v != "" {
			p, _, _ := strings.Cut(v, "?")
			paths = append(paths, p)
		}
	}
	var out []string
	for _, p := range paths {
		for _, r := range AllRoutes(p, routes) {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	slices.Sort(out)
	return out
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.serve(c)
		}()
	}
}

// serve answers the requests of one keep-alive connection.
func (s *Server) serve(c net.Conn) {
	r := textproto.NewReader(bufio.NewReader(c))
	for {
		line, err := r.ReadLine()
		if err != nil {
			return
		}
		h, err := r.ReadMIMEHeader()
		if err != nil {
			return
		}
		if n, _ := strconv.Atoi(h.Get("Content-Length")); n > 0 {
			if _, err := io.CopyN(io.Discard, r.R, int64(n)); err != nil {
				return
			}
		}
		parts := strings.Fields(line)
		if len(parts) != 3 {
			return
		}
		body, _ := json.Marshal(Answer{Target: parts[1], Routes: Routes(parts[1], h, s.routes)})
		if _, err := fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body); err != nil {
			return
		}
		if strings.EqualFold(h.Get("Connection"), "close") {
			return
		}
	}
}
