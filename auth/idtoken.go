package auth

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/internal/emailaddr"
)

// verifiedLogin is what a login's ID token establishes.
type verifiedLogin struct {
	email    string // normalized
	subject  string
	authTime time.Time
	claims   map[string]json.RawMessage // every claim, for the claim rules
}

// idTokenClaims are the claims checked beyond go-oidc's verification.
type idTokenClaims struct {
	Nonce         string  `json:"nonce"`
	AZP           string  `json:"azp"`
	Email         string  `json:"email"`
	EmailVerified any     `json:"email_verified"` // a boolean; some providers send "true"
	AuthTime      float64 `json:"auth_time"`
}

// verifyIDToken verifies a login's ID token. go-oidc checks the signature,
// issuer, audience and expiry; this adds what go-oidc documents it does not
// do: the nonce (constant time), iat not in the future, azp when present
// or when there are several audiences, a non-empty sub, the email, its
// verification, and the allowed domains.
func (p *idp) verifyIDToken(ctx context.Context, ready *idpReady, raw, nonce string) (verifiedLogin, error) {
	tok, err := ready.verifier.Verify(p.clientContext(ctx), raw)
	if err != nil {
		return verifiedLogin{}, err
	}
	var c idTokenClaims
	var all map[string]json.RawMessage
	if err := tok.Claims(&c); err != nil {
		return verifiedLogin{}, fmt.Errorf("auth: ID token claims: %w", err)
	}
	if err := tok.Claims(&all); err != nil {
		return verifiedLogin{}, fmt.Errorf("auth: ID token claims: %w", err)
	}
	now := p.now()
	clientID := p.cfg.ClientID
	switch {
	case tok.Nonce == "" || subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(nonce)) != 1:
		return verifiedLogin{}, errors.New("auth: ID token nonce does not match the login's")
	case tok.IssuedAt.IsZero():
		return verifiedLogin{}, errors.New("auth: ID token without iat")
	case tok.IssuedAt.After(now.Add(maxClockSkew)):
		return verifiedLogin{}, fmt.Errorf("auth: ID token issued in the future (%s)", tok.IssuedAt.Format(time.RFC3339))
	case len(tok.Audience) > 1 && c.AZP == "":
		return verifiedLogin{}, errors.New("auth: ID token with several audiences and no azp")
	case c.AZP != "" && c.AZP != clientID:
		return verifiedLogin{}, fmt.Errorf("auth: ID token azp %q is not this client", c.AZP)
	case tok.Subject == "":
		return verifiedLogin{}, errors.New("auth: ID token without sub")
	case c.Email == "":
		return verifiedLogin{}, errors.New("auth: ID token without email (is the email scope requested?)")
	case p.cfg.verifiedEmailRequired() && !isTrue(c.EmailVerified):
		return verifiedLogin{}, fmt.Errorf("auth: email %q is not verified by the identity provider", c.Email)
	}
	email, err := emailaddr.ParseUser(c.Email) // a service account name included: no login may claim one
	if err != nil {
		return verifiedLogin{}, fmt.Errorf("auth: ID token email: %w", err)
	}
	if !emailaddr.DomainAllowed(email, p.cfg.AllowedEmailDomains) {
		return verifiedLogin{}, fmt.Errorf("auth: the domain of %q is not allowed", email)
	}
	v := verifiedLogin{email: email, subject: tok.Subject, authTime: now, claims: all}
	if c.AuthTime > 0 {
		v.authTime = time.Unix(int64(c.AuthTime), 0).UTC()
	}
	return v, nil
}

func isTrue(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		return strings.EqualFold(x, "true")
	}
	return false
}
