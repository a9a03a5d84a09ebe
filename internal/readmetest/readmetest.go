// Package readmetest runs the Go snippets of the README against the
// configurations shown beside them: a test generated from the README
// wraps each snippet in a [Program] and calls [Start], which writes the
// configuration (placeholders made real), starts the mock provider and
// the program, and lets the test send requests as a guest, a user or a
// service account.
package readmetest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/awsauthorizer"
	"github.com/oauthgate/oauthgate/clientcreds"
	"github.com/oauthgate/oauthgate/internal/confdecode"
	"github.com/oauthgate/oauthgate/mockidp"
)

// NewRSAKey as the content of a file given to [Start] writes a new RSA
// private key (PKCS #8 PEM) there: the signing keys a configuration names.
const NewRSAKey = "<new RSA key>"

func rsaKeyPEM(t testing.TB) string {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// Program is a README program: it serves on ln the app of the
// configuration file at config until ctx ends.
type Program func(ctx context.Context, ln net.Listener, config string) error

// The values the README's placeholders stand for.
const (
	Password     = "readme password, long enough"
	ClientSecret = "readme-client-secret"
	SecretKey    = "q3v5Rk0yKx7mZ2Lw9hT1sPq8nB4cV6dF0gH2jK5lM7o"
)

var (
	cryptPlaceholder = regexp.MustCompile(`~CRYPT~[A-Za-z0-9_=-]*\.\.\.`)
	argonPlaceholder = regexp.MustCompile(`\$argon2id\$[^"'\s]*\.\.\.`)
	envReference     = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`)
	metadataURL      = regexp.MustCompile(`(?m)^(server_metadata_url:\s*).*$`)
)

// Realize returns the README's configuration text with its placeholders
// made real: "~CRYPT~gAAAAAB..." is ClientSecret encrypted under
// Password (set in the environment), "$argon2id$...$..." its hash, and
// every ${NAME} is set in the environment: secret keys to SecretKey, a
// database URL to dsn, others to "readme-name".
func Realize(t testing.TB, text, dsn string) string {
	t.Helper()
	setenv(t, confdecode.PasswordEnv, Password)
	text = cryptPlaceholder.ReplaceAllLiteralString(text, confdecode.Encrypt(Password, ClientSecret))
	if argonPlaceholder.MatchString(text) {
		hash, err := clientcreds.HashClientSecret(ClientSecret)
		if err != nil {
			t.Fatal(err)
		}
		text = argonPlaceholder.ReplaceAllLiteralString(text, hash)
	}
	for _, m := range envReference.FindAllStringSubmatch(text, -1) {
		switch v := m[1]; {
		case strings.Contains(v, "SECRET_KEY"):
			setenv(t, v, SecretKey)
		case strings.Contains(v, "DATABASE_URL") || strings.Contains(v, "DSN"):
			setenv(t, v, dsn)
		default:
			setenv(t, v, "readme-"+strings.ToLower(v))
		}
	}
	return text
}

// setenv is t.Setenv for a testing.TB that has it.
func setenv(t testing.TB, k, v string) {
	t.(interface{ Setenv(string, string) }).Setenv(k, v)
}

// App is a README program running against its configuration.
type App struct {
	// URL is the program's address, without a trailing slash.
	URL string
	// Config is the configuration as the program read it.
	Config *auth.Config
	// IdP is the mock provider that server_metadata_url names.
	IdP *mockidp.Server

	t testing.TB
}

// Start writes the configuration (after [Realize]; server_metadata_url
// names a new mock provider) with files beside it, and runs p on a free
// loopback port until the end of the test. dsn is the database URL of
// ${DATABASE_URL}.
func Start(t testing.TB, config string, files map[string]string, dsn string, p Program) *App {
	t.Helper()
	idp, err := mockidp.NewServer(mockidp.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(idp.Close)
	text := Realize(t, config, dsn)
	text = metadataURL.ReplaceAllString(text, "${1}"+idp.URL+"/.well-known/openid-configuration")
	dir := t.TempDir()
	for name, content := range files {
		if content == NewRSAKey {
			content = rsaKeyPEM(t)
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	// The sections of the packages whose keys the README's files use.
	cfg, err := auth.LoadConfig(path, &clientcreds.Config{}, &awsauthorizer.Config{})
	if err != nil {
		t.Fatalf("the README's configuration does not load: %v\n%s", err, text)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		defer ln.Close() // a program that failed refuses connections
		done <- p(ctx, ln, path)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, context.Canceled) {
				t.Errorf("the program ended with %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("the program did not stop within 10 s of its context")
		}
	})
	return &App{URL: "http://" + ln.Addr().String(), Config: cfg, IdP: idp, t: t}
}

// Serve serves h on ln until ctx ends: the end of a README program.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

// Token returns a bearer token for who: a user's email, or name@service
// for a service account whose snapshot holds every capability (the store
// decides). "" is a guest: no token.
func (a *App) Token(who string) string {
	a.t.Helper()
	if who == "" {
		return ""
	}
	info := auth.TokenInfo{Kind: auth.KindUser, Subject: who}
	if strings.HasSuffix(who, "@service") {
		policy, err := a.Config.Capabilities.Policy()
		if err != nil {
			a.t.Fatal(err)
		}
		info.Kind, info.Capabilities = auth.KindService, policy.Graph().Names()
	}
	tok, err := auth.MintToken(a.Config, info)
	if err != nil {
		a.t.Fatal(err)
	}
	return tok.Token
}

// Expect sends method path as who (see [App.Token]) with a JSON body, if
// any, and fails the test unless the status is want. Redirects are not
// followed. It returns the body.
func (a *App) Expect(method, path, who, body string, want int) string {
	a.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, a.URL+path, r)
	if err != nil {
		a.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok := a.Token(who); tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		as := "a guest"
		if who != "" {
			as = who
		}
		a.t.Errorf("%s %s as %s: status %d %s; want %d", method, path, as, resp.StatusCode, strings.TrimSpace(string(data)), want)
	}
	return string(data)
}

// Form posts a form (the client-credentials grant) and fails the test
// unless the status is want; it returns the body.
func (a *App) Form(path string, form map[string]string, want int) string {
	a.t.Helper()
	values := url.Values{}
	for k, v := range form {
		values.Set(k, v)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.PostForm(a.URL+path, values)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		a.t.Errorf("POST %s %v: status %d %s; want %d", path, form, resp.StatusCode, data, want)
	}
	return string(data)
}
