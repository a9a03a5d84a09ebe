package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"reflect"
	"syscall"
	"time"

	"github.com/oauthgate/oauthgate/gateway"
)

func init() {
	register(command{
		name:    "serve",
		summary: "run the login gateway (reverse proxy and forward-auth) in front of apps",
		run:     runServe,
	})
}

// runServe runs the gateway until ctx ends (SIGTERM, SIGINT), then drains
// the requests in flight and the upgraded connections. SIGHUP reloads the configuration file; a bad one
// is logged and the running one kept.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("serve", "serve --config FILE [--log-level LEVEL] [--log-format text|json] [--access-log on|buffered|off]",
		"Runs the login gateway: the auth configuration plus listen, tls,\n"+
			"metrics_listen, upstreams, pass_headers, upstream_jwt and timeouts\n"+
			"(see README, \"Gateway\").\n"+
			"Logs and access logs go to standard error: text on a terminal, else JSON\n"+
			"lines (--log-format chooses). Listens on 127.0.0.1:4180 unless listen\n"+
			"says otherwise. SIGHUP reloads\n"+
			"the configuration; SIGTERM drains the requests in flight and the\n"+
			"WebSocket connections (at most timeouts.shutdown) and exits.")
	path := fs.String("config", "", "gateway configuration `FILE` (required)")
	level := fs.String("log-level", "info", "log `LEVEL`: debug, info, warn or error")
	accessLog := fs.String("access-log", "on", "access log lines: on, buffered (written at most 1s late, fewer system calls) or off")
	format := addLogFormatFlag(fs, "json")
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError(fs, "unexpected argument %q", rest[0])
	}
	if *path == "" {
		return usageError(fs, "missing --config FILE")
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		return usageError(fs, "bad --log-level %q", *level)
	}
	if err := format.resolve(stderr); err != nil {
		return usageError(fs, "%v", err)
	}
	logger := slog.New(format.handler(stderr, &slog.HandlerOptions{Level: lvl}))
	var access *slog.Logger
	switch *accessLog {
	case "on":
		access = logger
	case "buffered":
		bw := newBufferedWriter(stderr, time.Second)
		defer bw.Close()
		access = slog.New(format.handler(bw, &slog.HandlerOptions{Level: lvl}))
	case "off":
	default:
		return usageError(fs, "bad --access-log %q", *accessLog)
	}

	// SIGHUP is caught from the start, so that an early one does not kill
	// the process (its default action).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	cfg, err := loadServeConfig(*path, logger)
	if err != nil {
		return err
	}
	metrics := newServeMetrics()
	cfg.Observer = &serveObserver{metrics: metrics, log: access}
	g, err := gateway.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer g.Close()
	metrics.watchReady(g)

	srv := g.Server()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	errc := make(chan error, 2)
	if cfg.TLS.Enabled() {
		// The certificate comes from srv.TLSConfig, which follows reloads.
		go func() { errc <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	var msrv *http.Server
	if cfg.MetricsListen != "" {
		mln, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			_ = srv.Close()
			return fmt.Errorf("metrics listen: %w", err)
		}
		// Plain HTTP even when tls: is set: /metrics is for a scraper on
		// a private address.
		msrv = &http.Server{Handler: metrics.handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
		go func() { errc <- msrv.Serve(mln) }()
		logger.Info("oauthgate serve: metrics", "addr", mln.Addr().String())
	}
	logger.Info("oauthgate serve: listening", "addr", ln.Addr().String(), "tls", cfg.TLS.Enabled(), "upstreams", len(cfg.Upstreams), "prefix", cfg.Auth.Prefix)
	if loopback, _ := loopbackAddr(cfg.Listen); loopback {
		logger.Info(`oauthgate serve: listening on loopback only; set listen: ":4180" (or an address of this host) in the configuration to accept other hosts`, "listen", cfg.Listen)
	}

	for {
		select {
		case <-hup:
			reload(ctx, g, *path, logger)
		case err := <-errc:
			return fmt.Errorf("serve: %w", err)
		case <-ctx.Done():
			return shutdown(g, srv, msrv, logger)
		}
	}
}

// loadServeConfig reads the gateway configuration with logger as the auth
// logger.
func loadServeConfig(path string, logger *slog.Logger) (*gateway.Config, error) {
	cfg, err := gateway.LoadConfig(path)
	if err != nil {
		return nil, err
	}
	cfg.Auth.Logger = logger
	return cfg, nil
}

// reload applies the configuration file again; on error the running one
// stays. Listen addresses, server timeouts and turning tls on or off need
// a restart; new tls files are taken at once.
func reload(ctx context.Context, g *gateway.Gateway, path string, logger *slog.Logger) {
	cfg, err := loadServeConfig(path, logger)
	if err == nil {
		old := g.Config()
		if cfg.Listen != old.Listen || cfg.MetricsListen != old.MetricsListen || !reflect.DeepEqual(cfg.Timeouts, old.Timeouts) {
			logger.Warn("oauthgate serve: listen, metrics_listen and timeouts change only with a restart; the rest is reloaded")
		}
		if cfg.TLS.Enabled() != old.TLS.Enabled() {
			logger.Warn("oauthgate serve: turning tls on or off takes a restart; the listener keeps its protocol (and, with tls, its last certificate)")
		}
		err = g.Reload(ctx, cfg)
	}
	if err != nil {
		logger.Error("oauthgate serve: reload failed; the running configuration stays", "err", err.Error())
		return
	}
	logger.Info("oauthgate serve: configuration reloaded", "upstreams", len(cfg.Upstreams))
}

// shutdown stops accepting connections and waits for the requests in
// flight, then for the upgraded connections (WebSocket), all within
// timeouts.shutdown; upgraded connections still open then are closed.
func shutdown(g *gateway.Gateway, srv, msrv *http.Server, logger *slog.Logger) error {
	timeout := g.Config().Timeouts.Shutdown
	logger.Info("oauthgate serve: shutting down; draining requests in flight", "timeout", timeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	if msrv != nil {
		_ = msrv.Shutdown(ctx)
	}
	// Shutdown does not see the upgraded connections: the proxy copies
	// them until one side ends. After a Shutdown that timed out, ctx has
	// ended and Drain closes them at once.
	if open := g.Upgraded(); open > 0 {
		logger.Info("oauthgate serve: waiting for upgraded connections (WebSocket) to end", "open", open)
		if closed := g.Drain(ctx); closed > 0 {
			logger.Warn("oauthgate serve: closed upgraded connections still open after timeouts.shutdown", "waited", open, "closed", closed)
		} else {
			logger.Info("oauthgate serve: upgraded connections ended", "waited", open)
		}
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("requests still in flight after %s", timeout)
		}
		return err
	}
	logger.Info("oauthgate serve: stopped")
	return nil
}
