package mockidp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"
)

// rpChecks are the checks go-oidc documents it leaves to the relying party
// (nonce, iat, azp, sub, email, email_verified), as the gateway does them.
func rpChecks(idt *oidc.IDToken, nonce, clientID string, now time.Time) error {
	var c struct {
		Email         string `json:"email"`
		EmailVerified *bool  `json:"email_verified"`
		AZP           string `json:"azp"`
	}
	if err := idt.Claims(&c); err != nil {
		return err
	}
	switch {
	case idt.Nonce != nonce:
		return fmt.Errorf("nonce %q; want %q", idt.Nonce, nonce)
	case idt.IssuedAt.After(now.Add(time.Minute)):
		return fmt.Errorf("iat %v in the future", idt.IssuedAt)
	case len(idt.Audience) > 1 && c.AZP != clientID:
		return fmt.Errorf("several audiences %v and azp %q", idt.Audience, c.AZP)
	case idt.Subject == "":
		return errors.New("no sub")
	case c.Email == "":
		return errors.New("no email")
	case c.EmailVerified == nil || !*c.EmailVerified:
		return errors.New("email not verified")
	}
	return nil
}

// goOIDCRejects lists the faults go-oidc's verifier catches itself; the
// rest pass it (they are well signed) and fail rpChecks.
var goOIDCRejects = map[Fault]bool{
	FaultBadSignature: true, FaultAlgNone: true, FaultHS256PublicKey: true, FaultUnknownKID: true,
	FaultWrongIssuer: true, FaultWrongAudience: true, FaultExpired: true,
}

func checkFaultyToken(t *testing.T, rp *relyingParty, f Fault, raw, nonce string) {
	t.Helper()
	idt, err := rp.verifier.Verify(rp.ctx, raw)
	if goOIDCRejects[f] {
		if err == nil {
			t.Fatalf("go-oidc accepted an ID token with fault %s", f)
		}
		return
	}
	if err != nil {
		t.Fatalf("fault %s should pass signature/iss/aud/exp checks: %v", f, err)
	}
	if err := rpChecks(idt, nonce, DemoClientID, time.Now()); err == nil {
		t.Fatalf("relying-party checks accepted an ID token with fault %s", f)
	}
}

func TestIDTokenFaultsAreRejected(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"RS256", "ES256"} {
		s := newTestServer(t, Options{Algorithm: alg})
		rp := newRP(t, s)
		// Baseline: a clean token passes everything, so each failure below is the fault's.
		clean := rp.login(t)
		idt, err := rp.verifier.Verify(rp.ctx, clean.raw)
		if err != nil {
			t.Fatal(err)
		}
		if err := rpChecks(idt, clean.nonce, DemoClientID, time.Now()); err != nil {
			t.Fatalf("clean token fails rpChecks: %v", err)
		}
		for _, f := range IDTokenFaults() {
			t.Run(alg+"/flow/"+string(f), func(t *testing.T) {
				if err := s.Provider.FailNext(f); err != nil {
					t.Fatal(err)
				}
				res := rp.login(t)
				checkFaultyToken(t, rp, f, res.raw, res.nonce)
			})
			t.Run(alg+"/mint/"+string(f), func(t *testing.T) {
				raw, err := s.Provider.MintIDToken(MintOptions{Nonce: "n-1", Fault: f})
				if err != nil {
					t.Fatal(err)
				}
				checkFaultyToken(t, rp, f, raw, "n-1")
			})
		}
		if raw, err := s.Provider.MintIDToken(MintOptions{Nonce: "n-2"}); err != nil {
			t.Fatal(err)
		} else if idt, err := rp.verifier.Verify(rp.ctx, raw); err != nil || rpChecks(idt, "n-2", DemoClientID, time.Now()) != nil {
			t.Errorf("clean minted token rejected: %v", err)
		}
	}
}

// The key-confusion token is real: a verifier that takes the public key's
// PEM as an HMAC secret accepts it.
func TestHS256KeyConfusionIsGenuine(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	raw, err := s.Provider.MintIDToken(MintOptions{Fault: FaultHS256PublicKey})
	if err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		t.Fatal(err)
	}
	if jws.Signatures[0].Header.KeyID != s.Provider.KeyID() {
		t.Errorf("kid = %q; want the published key's", jws.Signatures[0].Header.KeyID)
	}
	pemBytes, err := s.Provider.keys.currentKey().publicPEM()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jws.Verify(pemBytes); err != nil {
		t.Errorf("HMAC with the public PEM does not verify: %v", err)
	}
}

func TestFaultsOverHTTP(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	rp := newRP(t, s)
	c := s.Client()
	resp, body := postJSON(t, c, s.URL+"/control/fault", `{"fault": "expired", "count": 2}`)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s", resp.Status, body)
	}
	for range 2 {
		var te *oidc.TokenExpiredError
		if _, err := rp.verifier.Verify(rp.ctx, rp.login(t).raw); !errors.As(err, &te) {
			t.Errorf("want TokenExpiredError, got %v", err)
		}
	}
	if _, err := rp.verifier.Verify(rp.ctx, rp.login(t).raw); err != nil {
		t.Errorf("third token should be clean: %v", err)
	}
	for _, bad := range []string{`{"fault": "nonsense"}`, `{"fault": "expired", "count": -1}`, `not json`, `{"fault":"expired","extra":1}`} {
		if resp, body := postJSON(t, c, s.URL+"/control/fault", bad); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %s %s", bad, resp.Status, body)
		}
	}
	postJSON(t, c, s.URL+"/control/fault", `{"fault": "wrong_issuer"}`)
	postJSON(t, c, s.URL+"/control/fault", `{"clear": true}`)
	if _, err := rp.verifier.Verify(rp.ctx, rp.login(t).raw); err != nil {
		t.Errorf("after clear: %v", err)
	}
}

func TestEndpointFaults(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	rp := newRP(t, s)

	_ = s.Provider.FailNext(FaultAuthorizeError)
	loc := rp.authorize(t, "st", "n", oauth2.GenerateVerifier())
	if q := loc.Query(); q.Get("error") != "access_denied" || q.Get("state") != "st" || q.Get("code") != "" {
		t.Errorf("authorize fault: %v", loc)
	}

	for f, want := range map[Fault]struct {
		status int
		code   string
	}{FaultTokenError: {500, "server_error"}, FaultTokenInvalidGrant: {400, "invalid_grant"}} {
		verifier := oauth2.GenerateVerifier()
		loc := rp.authorize(t, "st", "n", verifier)
		_ = s.Provider.FailNext(f)
		_, err := rp.cfg.Exchange(rp.ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.Response.StatusCode != want.status || re.ErrorCode != want.code {
			t.Errorf("%s: %v; want %d %s", f, err, want.status, want.code)
		}
		// The fault did not spend the code.
		if _, err := rp.cfg.Exchange(rp.ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier)); err != nil {
			t.Errorf("%s: retry: %v", f, err)
		}
	}
}

func TestLatency(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	resp, body := postJSON(t, s.Client(), s.URL+"/control/latency", `{"latency": "1h"}`)
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("1h latency accepted: %s", body)
	}
	if resp, body := postJSON(t, s.Client(), s.URL+"/control/latency", `{"latency": "30s"}`); resp.StatusCode != 200 {
		t.Fatalf("%s %s", resp.Status, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/jwks", nil)
	if resp, err := s.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Error("a slow provider answered within the client's deadline")
	}
	// Health and control stay fast, so a test can always undo latency.
	if resp, _ := do(t, s.Client(), mustRequest(t, http.MethodGet, s.URL+"/health")); resp.StatusCode != 200 {
		t.Error(resp.Status)
	}
	s.Provider.SetLatency(0)
	if resp, _ := do(t, s.Client(), mustRequest(t, http.MethodGet, s.URL+"/jwks")); resp.StatusCode != 200 {
		t.Error(resp.Status)
	}
}

func TestFaultNames(t *testing.T) {
	t.Parallel()
	for _, f := range append(IDTokenFaults(), FaultTokenError, FaultTokenInvalidGrant, FaultAuthorizeError) {
		got, err := ParseFault(string(f))
		if err != nil || got != f {
			t.Errorf("ParseFault(%q) = %q, %v", f, got, err)
		}
		if strings.ToLower(string(f)) != string(f) {
			t.Errorf("fault name %q is not lower case", f)
		}
	}
	if _, err := ParseFault("nope"); err == nil {
		t.Error("ParseFault accepted an unknown name")
	}
	s := newTestServer(t, Options{})
	if err := s.Provider.FailNextN(FaultExpired, 0); err == nil {
		t.Error("count 0 accepted")
	}
	if _, err := s.Provider.MintIDToken(MintOptions{Fault: FaultTokenError}); err == nil {
		t.Error("MintIDToken accepted an endpoint fault")
	}
}
