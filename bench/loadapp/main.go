// Command loadapp is the app that bench/load.sh loads: a quickstart-style
// app (an auth.Manager with memory stores and the login routes mounted)
// with two routes that serve the same handler, GET /public without
// protection and GET /protected behind m.Require("read").
//
//	go run ./bench/loadapp [--addr 127.0.0.1:0] [--max-life 30m]
//	go run ./bench/loadapp --upstream --gateway-config FILE --gateway-addr 127.0.0.1:PORT [--app-cpu 100us] [--upstream-transport standard]
//	go run ./bench/loadapp --proxy-to http://127.0.0.1:PORT
//
// It listens on loopback only and prints, one per line, "url=<base URL>"
// and "token=<a user bearer token holding read>", then serves until
// SIGINT/SIGTERM or --max-life. With --upstream it is instead the plain app
// behind `oauthgate serve` (GET /hello, no middleware) and writes the
// gateway's configuration to FILE; with --proxy-to it is a bare
// standard-library reverse proxy to that app, the baseline of the
// gateway's cost (see upstream.go). GET /debug/heap answers the heap after a
// garbage collection, as JSON (HeapAlloc, HeapInuse, HeapObjects, NumGC).
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/handlers"
)

// loadUser is the user whose token the load sends.
const loadUser = "load@example.com"

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("loadapp", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "loopback address to listen on")
	maxLife := fs.Duration("max-life", 30*time.Minute, "stop after this long even without a signal")
	upstream := fs.Bool("upstream", false, "serve as the app behind oauthgate serve (see upstream.go)")
	gatewayConfig := fs.String("gateway-config", "", "with --upstream: where to write the gateway's configuration")
	gatewayAddr := fs.String("gateway-addr", "", "with --upstream: the loopback address the gateway is to listen on")
	appCPU := fs.Duration("app-cpu", 0, "with --upstream: CPU time GET /hello spends per request, as a real app would")
	transport := fs.String("upstream-transport", "", "with --upstream: the gateway's upstream_transport (direct or standard; default: the gateway's)")
	proxyTo := fs.String("proxy-to", "", "serve a bare reverse proxy to this loopback app URL instead (see upstream.go)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("loadapp: unexpected argument %q", fs.Arg(0))
	}
	if err := checkLoopback(*addr); err != nil {
		return err
	}
	if *upstream {
		if *gatewayConfig == "" || *gatewayAddr == "" {
			return fmt.Errorf("loadapp: --upstream needs --gateway-config and --gateway-addr")
		}
		if err := checkLoopback(*gatewayAddr); err != nil {
			return err
		}
		if *proxyTo != "" {
			return fmt.Errorf("loadapp: --proxy-to does not go with --upstream")
		}
		switch *transport {
		case "", "direct", "standard":
		default:
			return fmt.Errorf("loadapp: --upstream-transport must be direct or standard, got %q", *transport)
		}
	} else if *gatewayConfig != "" || *gatewayAddr != "" || *appCPU != 0 || *transport != "" {
		return fmt.Errorf("loadapp: --gateway-config, --gateway-addr, --app-cpu and --upstream-transport go with --upstream")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("loadapp: %w", err)
	}
	defer ln.Close()
	base := "http://" + ln.Addr().String()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *maxLife)
	defer cancel()

	secret := randomSecret()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if *proxyTo != "" {
		return serveBareProxy(ctx, ln, *proxyTo, out, logger)
	}
	if *upstream {
		return serveUpstream(ctx, ln, upstreamSetup{
			Secret: secret, GatewayConfig: *gatewayConfig, GatewayAddr: *gatewayAddr, AppCPU: *appCPU,
			Transport: *transport,
		}, out, logger)
	}
	m, err := auth.New(ctx, &auth.Config{
		// The provider is never called: the measured routes take bearer
		// tokens minted here.
		ServerMetadataURL: "http://127.0.0.1:9/.well-known/openid-configuration",
		SecretKey:         secret,
		ClientID:          "loadapp",
		BaseURL:           base,
		Capabilities: capabilities.Config{
			Graph: map[string][]string{
				"read": {}, "write": {"read"}, "user_management": {},
			},
			DefaultCapabilities: []string{"read"},
		},
		Logger: logger,
	})
	if err != nil {
		return err
	}
	defer m.Close()
	token, err := mintUserToken(secret, loadUser, time.Hour)
	if err != nil {
		return err
	}

	srv := &http.Server{
		Handler:           routes(m),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if err := selfCheck(ctx, base, token); err != nil {
		srv.Close()
		return err
	}
	fmt.Fprintf(out, "url=%s\ntoken=%s\n", base, token)

	select {
	case err := <-errc:
		return fmt.Errorf("loadapp: %w", err)
	case <-ctx.Done():
	}
	shutdown, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	return srv.Shutdown(shutdown)
}

// routes is the app: the login routes, the two measured routes (the same
// handler with and without the middleware) and the heap report.
func routes(m *auth.Manager) http.Handler {
	mux := http.NewServeMux()
	handlers.Mount(mux, m)
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "hello %s\n", auth.IdentityFrom(r.Context()).Kind)
	})
	mux.Handle("GET /public", hello)
	mux.Handle("GET /protected", m.Require("read")(hello))
	mux.HandleFunc("GET /debug/heap", heap)
	return mux
}

// heapReport is the answer of GET /debug/heap.
type heapReport struct {
	HeapAlloc   uint64 `json:"heap_alloc"`
	HeapInuse   uint64 `json:"heap_inuse"`
	HeapObjects uint64 `json:"heap_objects"`
	Sys         uint64 `json:"sys"`
	NumGC       uint32 `json:"num_gc"`
	Goroutines  int    `json:"goroutines"`
}

// heap reports the live heap after a collection, to loopback clients only.
func heap(w http.ResponseWriter, r *http.Request) {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err != nil || !net.ParseIP(host).IsLoopback() {
		http.Error(w, "loopback only", http.StatusForbidden)
		return
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(heapReport{
		HeapAlloc: ms.HeapAlloc, HeapInuse: ms.HeapInuse, HeapObjects: ms.HeapObjects,
		Sys: ms.Sys, NumGC: ms.NumGC, Goroutines: runtime.NumGoroutine(),
	})
}

// checkLoopback refuses an address that is not on loopback: the load
// must stay on this machine.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("loadapp: --addr: %w", err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("loadapp: --addr %q is not a loopback IP address", addr)
	}
	return nil
}

// randomSecret returns a new secret_key, as `oauthgate keygen` does.
func randomSecret() string {
	key := make([]byte, auth.MinSecretKeyBytes)
	_, _ = rand.Read(key) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(key)
}

// mintUserToken seals a user token with the app's secret, as
// `oauthgate token mint --user` does.
func mintUserToken(secret, email string, ttl time.Duration) (string, error) {
	tok, err := auth.MintToken(&auth.Config{SecretKey: secret}, auth.TokenInfo{
		Kind: auth.KindUser, Subject: email, ExpiresAt: time.Now().Add(ttl),
	})
	return tok.Token, err
}

// selfCheck makes sure that the measured routes answer 200 (with the
// token) and that /protected refuses a request without it, so that the
// load measures successes.
func selfCheck(ctx context.Context, base, token string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	for _, c := range []struct {
		path, token string
		want        int
	}{
		{"/public", token, http.StatusOK},
		{"/protected", token, http.StatusOK},
		{"/protected", "", http.StatusUnauthorized},
	} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+c.path, nil)
		if err != nil {
			return err
		}
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := client.Do(req)
		if err != nil {
			return fmt.Errorf("loadapp: self-check: %w", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.want {
			return fmt.Errorf("loadapp: self-check: GET %s answered %d, want %d", c.path, resp.StatusCode, c.want)
		}
	}
	return nil
}
