package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"time"

	"gopkg.in/yaml.v3"
)

// upstreamSetup is what --upstream needs besides the listener.
type upstreamSetup struct {
	Secret        string // the gateway's secret_key, which seals the token
	GatewayConfig string // where the gateway's configuration is written
	GatewayAddr   string // the gateway's listen address
	// AppCPU is the CPU time each GET /hello spends before answering, as
	// a real app would (0: none, the cheapest app, the hardest case for
	// any proxy).
	AppCPU time.Duration
	// Transport is the gateway's upstream_transport ("": its default).
	Transport string
}

// serveUpstream is --upstream: the app behind `oauthgate serve` in
// load.sh's proxy mode. It serves GET /hello with no middleware at all,
// so that wrk against it directly and through the gateway measures the
// gateway alone; it writes the gateway's configuration (this app as the
// one upstream, behind the capability "read", which every user holds)
// and prints "url=", "gateway=" (the gateway's base URL; a port 0 in
// --gateway-addr is replaced by a free one) and "token=", sealed with the
// gateway's secret_key.
func serveUpstream(ctx context.Context, ln net.Listener, s upstreamSetup, out io.Writer, logger *slog.Logger) error {
	base := "http://" + ln.Addr().String()
	if _, port, err := net.SplitHostPort(s.GatewayAddr); err == nil && port == "0" {
		if s.GatewayAddr, err = freePort(s.GatewayAddr); err != nil {
			return err
		}
	}
	conf, err := gatewayConfig(base, s)
	if err != nil {
		return err
	}
	// 0600: the file holds the secret key.
	if err := os.WriteFile(s.GatewayConfig, conf, 0o600); err != nil {
		return fmt.Errorf("loadapp: %w", err)
	}
	token, err := mintUserToken(s.Secret, loadUser, time.Hour)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           upstreamRoutes(newAppWork(s.AppCPU)),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(out, "url=%s\ngateway=http://%s\ntoken=%s\n", base, s.GatewayAddr, token)
	return serve(ctx, srv, ln)
}

// serveBareProxy is --proxy-to: a bare reverse proxy to the app, in a
// process of its own as the gateway is; it prints "url=".
func serveBareProxy(ctx context.Context, ln net.Listener, upstream string, out io.Writer, logger *slog.Logger) error {
	h, err := bareProxy(upstream)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelError),
	}
	fmt.Fprintf(out, "url=http://%s\n", ln.Addr())
	return serve(ctx, srv, ln)
}

// serve runs srv on ln until ctx ends, then shuts it down.
func serve(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("loadapp: %w", err)
	case <-ctx.Done():
	}
	shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	return srv.Shutdown(shutdown)
}

// bareProxy is the baseline of the gateway's cost: the standard library's
// reverse proxy to a loopback app, with nothing else (no check, no
// headers, no logs), on an upstream transport sized as the gateway's.
func bareProxy(upstream string) (http.Handler, error) {
	u, err := url.Parse(upstream)
	if err != nil || u.Scheme != "http" {
		return nil, fmt.Errorf("loadapp: --proxy-to %q is not an http URL", upstream)
	}
	if err := checkLoopback(u.Host); err != nil {
		return nil, err
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.Transport = &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}
	return p, nil
}

// upstreamRoutes answers GET /hello as the normal mode's handler does,
// and the heap report.
func upstreamRoutes(work *appWork) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		work.do()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "hello user\n")
	})
	mux.HandleFunc("GET /debug/heap", heap)
	return mux
}

// gatewayConfig is the gateway's configuration: auth keys at the top
// level and the gateway's own (listen, upstreams). The provider is never
// called: the load sends a bearer token.
func gatewayConfig(upstreamURL string, s upstreamSetup) ([]byte, error) {
	conf := map[string]any{
		"server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
		"secret_key":          s.Secret,
		"client_id":           "loadapp",
		"base_url":            "http://" + s.GatewayAddr,
		"prefix":              "/oauthgate",
		"capabilities": map[string]any{
			"graph":                map[string][]string{"read": {}},
			"default_capabilities": []string{"read"},
		},
		"listen": s.GatewayAddr,
		"upstreams": []map[string]any{
			// An API: a request without the token gets 401, not the
			// login redirect.
			{"path_prefix": "/", "url": upstreamURL, "require": "read", "login_redirect": false},
		},
	}
	if s.Transport != "" {
		conf["upstream_transport"] = s.Transport
	}
	out, err := yaml.Marshal(conf)
	if err != nil {
		return nil, fmt.Errorf("loadapp: %w", err)
	}
	return out, nil
}

// freePort turns a loopback address with port 0 into one with a port
// that was free a moment ago, for the gateway to listen on.
func freePort(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("loadapp: --gateway-addr: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// appWork is the CPU an app spends on a request: rounds of SHA-256 over a
// small buffer, as many as took the wanted time at start. A fixed amount
// of work, not a wait: on a busy machine it takes longer, as an app's
// work does.
type appWork struct {
	rounds int
}

// newAppWork measures how many rounds make d (nil for 0).
func newAppWork(d time.Duration) *appWork {
	if d <= 0 {
		return nil
	}
	const probe = 20000
	w := &appWork{rounds: probe}
	best := time.Duration(1 << 62)
	for range 5 { // the fastest of five probes: the least disturbed
		start := time.Now()
		w.do()
		best = min(best, time.Since(start))
	}
	w.rounds = max(1, int(float64(probe)*float64(d)/float64(best)))
	return w
}

func (w *appWork) do() {
	if w == nil {
		return
	}
	var sum [sha256.Size]byte
	for range w.rounds {
		sum = sha256.Sum256(sum[:])
	}
	runtime.KeepAlive(sum)
}
