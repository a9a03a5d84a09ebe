package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/mockidp"
)

func init() {
	register(command{
		name:    "mockidp",
		summary: "run the mock OpenID Connect provider (tests and local development)",
		run:     runMockIDP,
	})
}

func runMockIDP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("mockidp", stderr)
	addr := fs.String("addr", "127.0.0.1:29313", "listen address (host:port); keep it on loopback")
	clientsFile := fs.String("clients", "", "YAML clients file (clients: {id: {client_secret, audience, ...}}); replaces the demo client")
	interactive := fs.Bool("interactive", false, "show an HTML login page instead of logging the default user in")
	issuer := fs.String("issuer", "", "issuer URL (default http://ADDR)")
	alg := fs.String("alg", "RS256", "signing algorithm: RS256 or ES256")
	email := fs.String("email", "test@example.com", "default user's email")
	verbose := fs.Bool("v", false, "log every request")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: oauthgate mockidp [flags]\n\nRuns a mock OpenID Connect provider and prints its issuer URL.\n"+
			"Its /set_email and /control/* endpoints are unauthenticated test controls.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	opts := mockidp.Options{
		Issuer:       *issuer,
		Algorithm:    *alg,
		Interactive:  *interactive,
		DefaultEmail: *email,
		Logger:       logger,
	}
	if *clientsFile != "" {
		clients, err := mockidp.LoadClients(*clientsFile)
		if err != nil {
			return err
		}
		opts.Clients = clients
	}
	srv, err := mockidp.Listen(*addr, opts)
	if err != nil {
		return err
	}
	if host, _, err := net.SplitHostPort(srv.Addr().String()); err == nil {
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			logger.Warn("mockidp listens beyond loopback: its control endpoints let anyone choose who logs in", "addr", srv.Addr().String())
		}
	}
	fmt.Fprintln(stdout, srv.URL)
	clients := "demo client " + mockidp.DemoClientID
	if *clientsFile != "" {
		clients = "clients from " + *clientsFile
	}
	logger.Info("mockidp ready", "issuer", srv.URL, "alg", strings.ToUpper(*alg), "clients", clients, "interactive", *interactive)
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("mockidp stopped")
	return nil
}
