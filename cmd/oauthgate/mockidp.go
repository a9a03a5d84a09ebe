package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/internal/pemkey"
	"github.com/oauthgate/oauthgate/mockidp"
)

func init() {
	register(command{
		name:    "mockidp",
		summary: "run the mock identity provider: OpenID Connect, GitHub, Microsoft or plain OAuth 2 (tests and local development)",
		run:     runMockIDP,
	})
}

func runMockIDP(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newCommandFlags("mockidp", "mockidp [flags]",
		"Runs a mock OpenID Connect provider and prints its issuer URL. With --mode it\n"+
			"speaks as GitHub (/login/oauth/authorize, /login/oauth/access_token, the API\n"+
			"under /api/v3), Microsoft (/common/v2.0/.well-known/openid-configuration and\n"+
			"the other tenants') or a plain OAuth 2 server (/oauth2/authorize, /oauth2/token,\n"+
			"/oauth2/userinfo); users' GitHub and Microsoft accounts come from --users.\n"+
			"Its /set_email and /control/* endpoints are unauthenticated test controls:\n"+
			"whoever reaches them chooses who logs in. So --addr must be a loopback\n"+
			"address (127.0.0.1:PORT, [::1]:PORT, localhost:PORT) unless --allow-remote\n"+
			"is given; :PORT and 0.0.0.0:PORT listen on every interface.")
	addr := fs.String("addr", "127.0.0.1:29313", "listen address (host:port), on loopback unless --allow-remote")
	modeName := fs.String("mode", "oidc", "protocol: oidc, github (OAuth App and REST API), microsoft (identity platform v2.0, per tenant) or oauth2 (plain, nested user info)")
	allowRemote := fs.Bool("allow-remote", false, "allow an --addr beyond loopback (all interfaces, a LAN address, a host name): anyone who reaches it can log in as anyone")
	clientsFile := fs.String("clients", "", "YAML clients file (clients: {id: {client_secret, audience, ...}}); replaces the demo client; with --registration, registered clients are saved to it (created if missing)")
	registration := fs.Bool("registration", false, "allow dynamic client registration (RFC 7591) at /register, a registration page at GET /register, and RFC 7592 management")
	interactive := fs.Bool("interactive", false, "show an HTML login page instead of logging the default user in")
	usersFile := fs.String("users", "", "YAML users file (users: [{email, password: argon2id hash, claims}]): password login and a sign-up page (/signup) that adds users to it; created if missing")
	consent := fs.Bool("consent", false, "ask for consent to the requested scopes after login (remembered per user and client)")
	issuer := fs.String("issuer", "", "issuer URL (default http://ADDR)")
	alg := fs.String("alg", "", "signing algorithm: RS256, ES256 or EdDSA (default: that of --signing-key, else RS256)")
	signingKeyFile := fs.String("signing-key", "", "PEM private key (RSA: RS256, EC P-256: ES256, Ed25519: EdDSA) signing ID and access tokens; default: a generated key")
	jwtAccess := fs.Bool("jwt-access-tokens", false, "issue code-flow access tokens as RFC 9068 JWTs (aud: the client, or the resource/audience parameter)")
	corsAny := fs.Bool("cors-any", false, "allow browser pages of any origin (CORS) at token, userinfo, revoke, discovery and JWKS; default: the origins of registered redirect URIs")
	email := fs.String("email", "test@example.com", "default user's email")
	verbose := fs.Bool("v", false, "log every request")
	format := addLogFormatFlag(fs, "text")
	rest, err := parseCommandLine(fs, args, stdout, stderr)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError(fs, "unexpected argument %q", rest[0])
	}
	mode, err := mockidp.ParseMode(*modeName)
	if err != nil {
		return usageError(fs, "bad --mode %q: want oidc, github, microsoft or oauth2", *modeName)
	}
	if loopback, err := loopbackAddr(*addr); err != nil {
		return usageError(fs, "bad --addr %q: %v", *addr, err)
	} else if !loopback && !*allowRemote {
		return usageError(fs, "--addr %s is not a loopback address: anyone who reaches it could choose who logs in; use 127.0.0.1:PORT, or pass --allow-remote", *addr)
	}
	if err := format.resolve(stderr); err != nil {
		return usageError(fs, "%v", err)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(format.handler(stderr, &slog.HandlerOptions{Level: level}))
	opts := mockidp.Options{
		Mode:         mode,
		Issuer:       *issuer,
		Algorithm:    *alg,
		Interactive:  *interactive,
		UsersFile:    *usersFile,
		Consent:      *consent,
		DefaultEmail: *email,
		Logger:       logger,

		JWTAccessTokens: *jwtAccess,
		CORSAnyOrigin:   *corsAny,
		Registration:    *registration,
	}
	if *signingKeyFile != "" {
		key, err := pemkey.ReadPrivateKey(*signingKeyFile)
		if err != nil {
			return fmt.Errorf("--signing-key: %w", err)
		}
		opts.SigningKey = key
	}
	if *clientsFile != "" {
		if *registration {
			opts.ClientsFile = *clientsFile
		}
		clients, err := mockidp.LoadClients(*clientsFile)
		if *registration && errors.Is(err, os.ErrNotExist) {
			clients, err = mockidp.DemoClients(), nil
		}
		if err != nil {
			return err
		}
		opts.Clients = clients
	}
	srv, err := mockidp.Listen(*addr, opts)
	if err != nil {
		return err
	}
	if loopback, _ := loopbackAddr(srv.Addr().String()); !loopback {
		if !*allowRemote { // localhost resolved elsewhere
			srv.Close()
			return fmt.Errorf("--addr %s listens on %s, beyond loopback; pass --allow-remote to allow it", *addr, srv.Addr())
		}
		logger.Warn("mockidp listens beyond loopback: its control endpoints let anyone choose who logs in", "addr", srv.Addr().String())
	}
	fmt.Fprintln(stdout, srv.URL)
	clients := "demo client " + mockidp.DemoClientID
	if *clientsFile != "" {
		clients = "clients from " + *clientsFile
	}
	logger.Info("mockidp ready", "mode", mode, "issuer", srv.URL, "entry", modeEntry(mode, srv.URL), "alg", srv.Provider.Algorithm(),
		"clients", clients, "interactive", *interactive)
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("mockidp stopped")
	return nil
}

// loopbackAddr reports whether the listen address addr (host:port) stays
// on loopback: a loopback IP address or the name localhost. An empty
// host, 0.0.0.0 or :: listen on every interface.
func loopbackAddr(addr string) (bool, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	if strings.EqualFold(host, "localhost") {
		return true, nil
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback(), nil
}

// modeEntry is where a relying party of the mode starts.
func modeEntry(mode mockidp.Mode, base string) string {
	switch mode {
	case mockidp.ModeGitHub:
		return base + "/login/oauth/authorize (API " + base + "/api/v3)"
	case mockidp.ModeMicrosoft:
		return base + "/common/v2.0/.well-known/openid-configuration"
	case mockidp.ModeOAuth2:
		return base + "/oauth2/authorize"
	}
	return base + "/.well-known/openid-configuration"
}
