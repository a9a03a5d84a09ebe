package authtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/oauthgate/oauthgate/clientcreds"
)

// Machine returns a client holding a fresh access token of the machine
// client clientID, got over HTTP from the app's client-credentials route
// (POST {prefix}/oauth/token, HTTP Basic). The client is created in the
// app's client store ([Tester.Clients]), or updated: it gets a new random secret, keeps its
// other attributes, and when scopes are given they replace its scope. The
// token asks for no scope, so it carries all of the client's.
//
// What the client may do follows scope_capabilities (for Require) and its
// scopes and permissions (for RequireDerivedScope). A client of the
// configuration's clients section cannot be managed this way.
func (at *Tester) Machine(clientID string, scopes ...string) *Client {
	c := &Client{at: at, name: clientID, http: at.httpClient(nil, false)}
	tok, err := at.machineToken(clientID, scopes)
	if err != nil {
		c.err = fmt.Errorf("authtest: Machine(%q): %w", clientID, err)
		return c
	}
	c.bearer = tok
	return c
}

func (at *Tester) machineToken(clientID string, scopes []string) (string, error) {
	store := at.Clients.ClientStore()
	ctx := context.Background()
	cl, _, err := store.Client(ctx, clientID)
	if err != nil {
		return "", err
	}
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	secret := base64.RawURLEncoding.EncodeToString(b)
	if cl.SecretHash, err = clientcreds.HashClientSecret(secret); err != nil {
		return "", err
	}
	cl.ID = clientID
	if len(scopes) > 0 {
		cl.Scope = append([]string(nil), scopes...)
	}
	if err := store.PutClient(ctx, cl); err != nil {
		return "", err
	}
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequest(http.MethodPost, at.URL+at.Manager.Config().Prefix+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := at.httpClient(nil, false).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var ans struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &ans) != nil || ans.AccessToken == "" {
		return "", fmt.Errorf("token request: %d %s", resp.StatusCode, body)
	}
	return ans.AccessToken, nil
}
