package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"syscall"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers"
	"github.com/oauthgate/oauthgate/mockidp"
)

// appOptions configure newApp.
type appOptions struct {
	// Dir is the development folder: secret key, capabilities graph and
	// users file (see devFiles). Default ".oauthgate-dev" in the working
	// directory. Unused with ConfigFile.
	Dir string
	// BaseURL is the app's URL as the browser sees it, such as
	// "http://127.0.0.1:8000": the base of the login callback. Required
	// with the embedded provider; with ConfigFile it fills in a missing
	// base_url.
	BaseURL string
	// IdPAddr is where the embedded mock identity provider listens.
	// Default "127.0.0.1:0" (a free port).
	IdPAddr string
	// ConfigFile, if set, is an oauthgate config.yaml naming a real
	// identity provider; no mock provider is started.
	ConfigFile string
	// Logger receives the logs. Default slog.Default().
	Logger *slog.Logger
}

// demoApp is the quickstart: the app's handler, its Manager and, unless
// a config file was given, the embedded mock identity provider.
type demoApp struct {
	Handler http.Handler
	Manager *auth.Manager
	IdP     *mockidp.Server // nil with appOptions.ConfigFile
}

// demoUsersOfIdP are offered on the mock provider's login page.
var demoUsersOfIdP = []mockidp.User{
	{Email: "admin@example.com", Name: "Ada Admin"},
	{Email: "alice@example.com", Name: "Alice"},
	{Email: "bob@example.com", Name: "Bob"},
}

// newApp builds the quickstart app. Close it when done: it stops the
// embedded provider and closes the Manager's stores.
func newApp(ctx context.Context, o appOptions) (*demoApp, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	d := &demoApp{}
	var cfg *auth.Config
	if o.ConfigFile != "" {
		var err error
		if cfg, err = auth.LoadConfig(o.ConfigFile); err != nil {
			return nil, err
		}
		if cfg.BaseURL == "" {
			cfg.BaseURL = o.BaseURL
		}
	} else {
		if o.BaseURL == "" {
			return nil, errors.New("quickstart: the app's base URL is required")
		}
		if o.Dir == "" {
			o.Dir = ".oauthgate-dev"
		}
		if o.IdPAddr == "" {
			o.IdPAddr = "127.0.0.1:0"
		}
		secret, caps, err := devFiles(o.Dir)
		if err != nil {
			return nil, err
		}
		d.IdP, err = mockidp.Listen(o.IdPAddr, mockidp.Options{
			Interactive:  true,
			Algorithm:    "ES256",
			Users:        demoUsersOfIdP,
			DefaultEmail: "alice@example.com",
		})
		if err != nil {
			if errors.Is(err, syscall.EADDRINUSE) {
				return nil, fmt.Errorf("quickstart: the mock identity provider's address %s is already in use; choose another with --idp-addr", o.IdPAddr)
			}
			return nil, fmt.Errorf("quickstart: starting the mock identity provider: %w", err)
		}
		cfg = &auth.Config{
			ServerMetadataURL: d.IdP.URL + "/.well-known/openid-configuration",
			SecretKey:         secret,
			ClientID:          mockidp.DemoClientID,
			ClientSecret:      mockidp.DemoClientSecret,
			BaseURL:           o.BaseURL,
			Capabilities:      caps,
		}
	}
	cfg.Logger = o.Logger
	m, err := auth.New(ctx, cfg)
	if err != nil {
		d.Close()
		return nil, err
	}
	d.Manager = m
	d.Handler = routes(m)
	return d, nil
}

// Close stops the embedded provider and closes the Manager.
func (d *demoApp) Close() error {
	if d.IdP != nil {
		d.IdP.Close()
	}
	if d.Manager != nil {
		return d.Manager.Close()
	}
	return nil
}

// routes is the app: one ServeMux with oauthgate's routes and the pages.
func routes(m *auth.Manager) http.Handler {
	mux := http.NewServeMux()
	handlers.Mount(mux, m)
	p := &pages{m: m}
	mux.Handle("GET /{$}", m.Optional()(http.HandlerFunc(p.home)))
	mux.Handle("GET /me", m.RequireLogin(auth.RedirectToLogin)(http.HandlerFunc(p.me)))
	mux.Handle("GET /payroll", m.Require("payroll", auth.RedirectToLogin)(http.HandlerFunc(p.payroll)))
	mux.Handle("GET /admin", m.Require("user_management", auth.RedirectToLogin)(http.HandlerFunc(p.admin)))
	mux.Handle("GET /api/whoami", m.RequireLogin()(http.HandlerFunc(p.whoami)))
	return mux
}
