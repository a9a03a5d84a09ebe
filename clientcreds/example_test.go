package clientcreds_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/clientcreds"
)

// A machine client gets a token from the grant, and the Manager accepts
// it with the capabilities its scope maps to.
func ExampleIssuer_IssueToken() {
	ctx := context.Background()
	var cc clientcreds.Config
	cfg, err := auth.ParseConfig([]byte(`
secret_key: 3q2+7wABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhs=
capabilities: {graph: {read: []}}
scope_capabilities: {"read:pets": [read]}
client_credentials: {issuer: "https://api.example/", algorithm: ES256}
clients:
  cron: {client_secret: cron-secret, audience: pets-api, scope: "read:pets"}
`), &cc)
	if err != nil {
		panic(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	grant, err := clientcreds.New(ctx, &cc, clientcreds.Options{Logger: quiet})
	if err != nil {
		panic(err)
	}
	defer grant.Close()
	cfg.MachineIssuers = append(cfg.MachineIssuers, grant)
	cfg.Logger = quiet
	m, err := auth.New(ctx, cfg)
	if err != nil {
		panic(err)
	}
	defer m.Close()

	tok, err := grant.IssueToken(ctx, clientcreds.TokenRequest{ClientID: "cron", ClientSecret: "cron-secret"})
	if err != nil {
		panic(err)
	}
	fmt.Println(tok.ClientID, tok.Audience, tok.Scope, tok.ExpiresIn)

	r := httptest.NewRequest("GET", "/pets", nil)
	r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	id, err := m.Identify(r)
	if err != nil {
		panic(err)
	}
	fmt.Println(id.Kind, id.Subject, id.Has("read"))

	_, err = grant.IssueToken(ctx, clientcreds.TokenRequest{ClientID: "cron", ClientSecret: "guess"})
	fmt.Println(auth.ErrorOf(err).Code)
	// Output:
	// cron pets-api read:pets 3600
	// client cron true
	// invalid_client
}
