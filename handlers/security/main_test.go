package security_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
	"github.com/oauthgate/oauthgate/mockidp"
)

// Every Manager of the suite logs into suiteLogs, and every secret the suite
// sees (secret keys, the client secret, cookie values, tokens, codes, PKCE
// verifiers, the provider's tokens) is remembered in suiteSecrets. When all
// tests have run, TestMain fails the suite if any secret is in the logs.
var (
	suiteLogs    = &syncBuffer{}
	suiteLogger  = slog.New(slog.NewTextHandler(suiteLogs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	suiteSecrets = &secretSet{kinds: map[string]map[string]bool{}}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if err := checkLogs(suiteLogs.String(), suiteSecrets, testing.Verbose()); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: logs of the suite:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// checkLogs reports an error if logs contain any secret of set. Logs and
// secrets must not be empty when tests ran: the check would prove nothing.
func checkLogs(logs string, set *secretSet, report bool) error {
	kinds := set.snapshot()
	if len(kinds) == 0 {
		return nil // no test ran (e.g. -run matched nothing, or fuzzing)
	}
	if !strings.Contains(logs, "auth: login") {
		return fmt.Errorf("no login was logged (%d bytes of logs): the capture is broken", len(logs))
	}
	var found []string
	names := make([]string, 0, len(kinds))
	for k := range kinds {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, kind := range names {
		for s := range kinds[kind] {
			if strings.Contains(logs, s) {
				found = append(found, fmt.Sprintf("%s %.12s…", kind, s))
			}
		}
	}
	if len(found) > 0 {
		return fmt.Errorf("%d secrets are in the logs: %s", len(found), strings.Join(found, ", "))
	}
	if report {
		counts := make([]string, 0, len(names))
		for _, kind := range names {
			counts = append(counts, fmt.Sprintf("%d %s", len(kinds[kind]), kind))
		}
		fmt.Printf("logs: %d bytes, none of these secrets in them: %s\n", len(logs), strings.Join(counts, ", "))
	}
	return nil
}

// TestLogCheckFindsSecrets shows that checkLogs is able to fail.
func TestLogCheckFindsSecrets(t *testing.T) {
	t.Parallel()
	set := &secretSet{kinds: map[string]map[string]bool{}}
	set.add("token", "c2VjcmV0LXRva2VuLXZhbHVlLTEyMzQ1")
	if err := checkLogs(`level=INFO msg="auth: login" token=c2VjcmV0LXRva2VuLXZhbHVlLTEyMzQ1`, set, false); err == nil {
		t.Fatal("a token in the logs went unnoticed")
	}
	if err := checkLogs(`level=INFO msg="auth: login" email=a@b.example`, set, false); err != nil {
		t.Fatal(err)
	}
}

// secretSet holds secrets by kind ("cookie", "bearer token"...).
type secretSet struct {
	mu    sync.Mutex
	kinds map[string]map[string]bool
}

// minSecretLen skips values too short to be secrets (deleted cookies,
// "true"), which would match logs by chance.
const minSecretLen = 16

func (s *secretSet) add(kind string, values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		if len(v) < minSecretLen {
			continue
		}
		if s.kinds[kind] == nil {
			s.kinds[kind] = map[string]bool{}
		}
		s.kinds[kind][v] = true
	}
}

func (s *secretSet) snapshot() map[string]map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]map[string]bool, len(s.kinds))
	for k, vs := range s.kinds {
		out[k] = make(map[string]bool, len(vs))
		for v := range vs {
			out[k][v] = true
		}
	}
	return out
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// app is a running test app and its client to the provider.
type app struct {
	*e2etest.App
	toIdP *idpRecorder
}

// start serves the standard test app (e2etest.MuxApp) with its own
// provider.
func start(t *testing.T, o e2etest.Options) *app {
	t.Helper()
	return startWith(t, e2etest.IdP(t), o)
}

// eachMode runs test for every mode of the mock provider (every kind of
// identity provider the login speaks to), in parallel.
func eachMode(t *testing.T, test func(t *testing.T, mode mockidp.Mode)) {
	for _, mode := range mockidp.Modes() {
		t.Run(string(mode), func(t *testing.T) {
			t.Parallel()
			test(t, mode)
		})
	}
}

// startWith serves the standard test app with idp as its provider; the
// Manager logs into the suite's logs, and every secret crossing the app or
// its provider client is remembered.
func startWith(t *testing.T, idp *mockidp.Server, o e2etest.Options) *app {
	t.Helper()
	rec := &idpRecorder{base: http.DefaultTransport}
	edit := o.Edit
	o.Edit = func(c *auth.Config) {
		// Hundreds of journeys start from 127.0.0.1 within a minute.
		c.Throttle.LoginStarts = 1_000_000
		if edit != nil {
			edit(c)
		}
		c.Logger = suiteLogger
		c.HTTPClient = &http.Client{Transport: rec}
		suiteSecrets.add("secret key", c.SecretKey)
		suiteSecrets.add("secret key", c.PreviousSecretKeys...)
		suiteSecrets.add("client secret", c.ClientSecret)
	}
	return &app{App: e2etest.Start(t, idp, recorded(e2etest.MuxApp), o), toIdP: rec}
}

// recorded wraps the app to remember the secrets of every exchange: the
// request's cookies, bearer token and code, the answer's Set-Cookie values
// and the tokens of its JSON body.
func recorded(build e2etest.Builder) e2etest.Builder {
	return func(m *auth.Manager) http.Handler {
		next := build(m)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for _, c := range r.Cookies() {
				suiteSecrets.add("cookie", c.Value)
			}
			if tok, ok := auth.BearerToken(r.Header); ok {
				suiteSecrets.add("bearer token", tok)
			}
			suiteSecrets.add("code", r.URL.Query().Get("code"))
			rw := &recordingWriter{ResponseWriter: w}
			next.ServeHTTP(rw, r)
			for _, line := range w.Header()["Set-Cookie"] {
				if c, err := http.ParseSetCookie(line); err == nil {
					suiteSecrets.add("cookie", c.Value)
				}
			}
			rememberJSONTokens("minted token", rw.body.Bytes())
		})
	}
}

// recordingWriter keeps a copy of the JSON answers.
type recordingWriter struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") && w.body.Len() < 1<<20 {
		w.body.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

// rememberJSONTokens remembers the string values of the keys that name a
// token in a JSON object.
func rememberJSONTokens(kind string, body []byte) {
	var obj map[string]any
	if json.Unmarshal(body, &obj) != nil {
		return
	}
	for k, v := range obj {
		if s, ok := v.(string); ok && strings.Contains(k, "token") && k != "token_type" {
			suiteSecrets.add(kind, s)
		}
	}
}

// idpRecorder is a Manager's transport to the provider: it remembers the
// secrets of the requests (client secret, code, verifier, refresh token)
// and of the answers (access, refresh and ID tokens). It keeps the last
// PKCE verifier sent, and can replace the verifier of the next code
// exchanges (a wrong verifier).
type idpRecorder struct {
	base         http.RoundTripper
	lastVerifier atomic.Pointer[string]
	tamper       atomic.Pointer[string]
}

func (t *idpRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if _, pass, ok := req.BasicAuth(); ok {
		suiteSecrets.add("client secret", pass)
		suiteSecrets.add("client secret", url.QueryEscape(pass))
	}
	if req.Body != nil && req.Method == http.MethodPost {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		if form, err := url.ParseQuery(string(body)); err == nil {
			for _, k := range []string{"code", "code_verifier", "refresh_token", "client_secret"} {
				suiteSecrets.add("provider "+k, form.Get(k))
			}
			if v := form.Get("code_verifier"); v != "" {
				t.lastVerifier.Store(&v)
				if tamper := t.tamper.Load(); tamper != nil {
					form.Set("code_verifier", *tamper)
					body = []byte(form.Encode())
				}
			}
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.ContentLength = int64(len(body))
	}
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	switch ct := resp.Header.Get("Content-Type"); {
	case strings.HasPrefix(ct, "application/json"):
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		rememberJSONTokens("provider token", body)
		resp.Body = io.NopCloser(bytes.NewReader(body))
	case strings.HasPrefix(ct, "application/x-www-form-urlencoded"):
		// GitHub's token answer, unless asked for JSON.
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		if form, err := url.ParseQuery(string(body)); err == nil {
			for _, k := range []string{"access_token", "refresh_token", "id_token"} {
				suiteSecrets.add("provider token", form.Get(k))
			}
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	return resp, nil
}

// discardLog silences the test servers' own error logs.
var discardLog = log.New(io.Discard, "", 0)
