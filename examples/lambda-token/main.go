// Command lambda-token is a client-credentials token endpoint as an AWS
// Lambda function behind API Gateway (REST API, Lambda proxy integration),
// as simple_oauth_server's token handler: POST /token or /oauth/token with
// grant_type=client_credentials, the client authenticated by HTTP Basic or
// by client_id and client_secret in a form or JSON body, answers
// {"access_token", "token", "token_type", "expires_in", "scope"}; GET
// /.well-known/jwks.json serves the public keys of the tokens. The grant is
// package clientcreds' (its Issuer's own routes serve each request); this
// file only turns proxy events into HTTP requests and back. See README.md.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/oauthgate/oauthgate/auth"
	_ "github.com/oauthgate/oauthgate/capabilities/pgstore" // store.driver: postgres (read_only), see README.md
	"github.com/oauthgate/oauthgate/clientcreds"
)

// ConfigEnv names the configuration file; by default it is config.yaml
// beside the executable (the bootstrap of the function's zip).
const ConfigEnv = "OAUTHGATE_CONFIG"

// maxBody bounds a request body; the token endpoint reads far less.
const maxBody = 64 << 10

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	f, err := newFunction(context.Background(), configPath(), log)
	if err != nil {
		// A bad configuration stops the function at its first start, with
		// the key and the reason in CloudWatch.
		log.Error("lambda-token: cannot start", "err", err)
		os.Exit(1)
	}
	lambda.Start(f.Handle)
}

// configPath returns $OAUTHGATE_CONFIG, else config.yaml beside the
// executable.
func configPath() string {
	if p := os.Getenv(ConfigEnv); p != "" {
		return p
	}
	exe, err := os.Executable()
	if err != nil {
		return "config.yaml"
	}
	return filepath.Join(filepath.Dir(exe), "config.yaml")
}

// function serves the events of one function instance: the grant keeps
// its clients, keys and throttles between invocations.
type function struct {
	grant *clientcreds.Issuer
	mux   *http.ServeMux
	log   *slog.Logger
}

// newFunction reads the configuration file (auth's keys and the grant's
// clients:, clients_file, client_credentials:, store:) and mounts the
// grant's public routes: the token endpoint and the key set. The admin
// routes need a Manager and a logged-in user; a Lambda has neither.
func newFunction(ctx context.Context, path string, log *slog.Logger) (*function, error) {
	var cc clientcreds.Config
	cfg, err := auth.LoadConfig(path, &cc)
	if err != nil {
		return nil, err
	}
	cfg.Logger = log
	g, err := clientcreds.New(ctx, &cc, clientcreds.Options{Logger: log})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	for _, r := range g.Routes() {
		if r.Capability == "" {
			mux.Handle(r.Method+" "+cfg.Prefix+r.Path, r.Handler)
		}
	}
	return &function{grant: g, mux: mux, log: log}, nil
}

// Handle is the Lambda handler: a proxy event in, the grant's HTTP answer
// out. Only an event that is no HTTP request at all is an error (API
// Gateway then answers 502); every refusal is an HTTP answer.
func (f *function) Handle(ctx context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	r, err := request(ctx, ev)
	if err != nil {
		f.log.Warn("lambda-token: bad event", "err", err)
		return events.APIGatewayProxyResponse{StatusCode: http.StatusBadRequest,
			Headers: map[string]string{"Content-Type": "application/json"},
			Body:    `{"error":"invalid_request","error_description":"malformed request"}`}, nil
	}
	w := &responseWriter{header: http.Header{}}
	f.mux.ServeHTTP(w, r)
	return w.response(), nil
}

// request turns a proxy event into the HTTP request API Gateway received.
// The caller's address is the event's sourceIp (API Gateway's own view of
// the peer), so the grant's per-address throttle counts real callers.
func request(ctx context.Context, ev events.APIGatewayProxyRequest) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return nil, fmt.Errorf("body is not base64: %w", err)
		}
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("body longer than %d bytes", maxBody)
	}
	if ev.HTTPMethod == "" || !strings.HasPrefix(ev.Path, "/") {
		return nil, fmt.Errorf("no httpMethod or path: not an API Gateway proxy event")
	}
	r, err := http.NewRequestWithContext(ctx, ev.HTTPMethod, ev.Path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	// multiValueHeaders holds every value; headers only the last of each.
	for k, vs := range ev.MultiValueHeaders {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	for k, v := range ev.Headers {
		if _, ok := r.Header[http.CanonicalHeaderKey(k)]; !ok {
			r.Header.Set(k, v)
		}
	}
	r.Host = r.Header.Get("Host")
	r.RemoteAddr = net.JoinHostPort(ev.RequestContext.Identity.SourceIP, "0")
	return r, nil
}

// responseWriter collects the grant's answer for the proxy response.
type responseWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(b)
}

func (w *responseWriter) response() events.APIGatewayProxyResponse {
	w.WriteHeader(http.StatusOK)
	resp := events.APIGatewayProxyResponse{StatusCode: w.status, Body: w.body.String(), MultiValueHeaders: map[string][]string{}}
	for k, vs := range w.header {
		resp.MultiValueHeaders[k] = vs
	}
	return resp
}
