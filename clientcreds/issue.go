package clientcreds

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/internal/respond"
	"github.com/oauthgate/oauthgate/internal/throttle"
)

// OAuth 2.0 error codes of the token endpoint (RFC 6749 §5.2, RFC 8707,
// RFC 8628 §3.5): the Code of the [auth.Error] values of [Issuer.IssueToken].
const (
	CodeInvalidRequest         = "invalid_request"
	CodeInvalidClient          = "invalid_client"
	CodeInvalidScope           = "invalid_scope"
	CodeInvalidTarget          = "invalid_target"
	CodeUnsupportedGrantType   = "unsupported_grant_type"
	CodeTemporarilyUnavailable = respond.CodeTemporarilyUnavailable
	CodeSlowDown               = "slow_down"
)

// oauthError is a refusal of the token endpoint with its OAuth error code.
func oauthError(code string, status int, desc string) *auth.Error {
	return &auth.Error{Status: status, Msg: desc, Code: code}
}

// TokenRequest is a client-credentials token request.
type TokenRequest struct {
	ClientID     string
	ClientSecret string
	// Audience is the wanted aud; "" means the client's first audience.
	Audience string
	// Scope is the wanted scope, space-separated, a subset of the client's;
	// "" means all of the client's scopes.
	Scope string
	// ClientAddr is the address the request comes from (see
	// trusted_proxies), by which failed authentications are counted and
	// throttled ([ThrottleConfig]). With the zero Addr they are not:
	// only the bound on waiting secret checks applies.
	ClientAddr netip.Addr
}

// Token is a minted access token of a machine client.
type Token struct {
	// AccessToken is the signed JWT.
	AccessToken string
	ExpiresAt   time.Time
	// ExpiresIn is the lifetime in seconds.
	ExpiresIn int64
	// Scope is the granted scope, space-separated.
	Scope    string
	ClientID string
	Subject  string
	Audience string
	ID       string
}

// version changes whenever a client may have changed.
func (g *Issuer) version() uint64 { return g.store.ClientsVersion() }

// checkSecret checks secret against hash (or against a dummy hash when the
// client is unknown, so that the answer takes as long either way), with
// at most GOMAXPROCS hashes computed at once. When the queue of those
// waiting is full it fails at once with [throttle.ErrQueueFull].
func (g *Issuer) checkSecret(ctx context.Context, hash, secret string) (bool, error) {
	if hash == "" {
		g.dummyOnce.Do(func() {
			b := make([]byte, 32)
			_, _ = rand.Read(b)
			g.dummy, _ = HashClientSecret(base64.RawURLEncoding.EncodeToString(b))
		})
		hash = g.dummy
	}
	if err := g.hashes.Enter(ctx); err != nil {
		return false, err
	}
	defer g.hashes.Leave()
	g.checks.Add(1)
	return CheckClientSecret(hash, secret)
}

// queueFull is the answer when the secret checks are saturated; the
// first of a flood each minute is logged.
func (g *Issuer) queueFull(now time.Time) *auth.Error {
	if last := g.fullLogged.Load(); now.Unix()-last >= 60 && g.fullLogged.CompareAndSwap(last, now.Unix()) {
		g.log.Warn("clientcreds: the client secret checks are saturated: token requests get 503 until the queue drains",
			"running", g.hashes.Slots(), "waiting", g.hashes.Waiting())
	}
	return &auth.Error{Code: CodeTemporarilyUnavailable, Status: http.StatusServiceUnavailable,
		Msg: "too many token requests at once, retry shortly", RetryAfter: time.Second, Err: throttle.ErrQueueFull}
}

// IssueToken runs the client-credentials grant: it authenticates the
// client by its secret and mints a signed JWT access token for the asked
// audience and scope. Refusals are *[auth.Error] values with the OAuth
// error code of the answer (the Code* constants); among them 429
// slow_down, without any check, when the client id or the address of
// req.ClientAddr failed too often ([ThrottleConfig]), and 503
// temporarily_unavailable when too many secret checks already wait or
// the client store is unavailable.
func (g *Issuer) IssueToken(ctx context.Context, req TokenRequest) (*Token, error) {
	if req.ClientID == "" || req.ClientSecret == "" {
		return nil, oauthError(CodeInvalidClient, http.StatusUnauthorized, "client authentication failed: client_id and client_secret are required")
	}
	throttled := g.failures.key(req.ClientID, req.ClientAddr)
	if wait := g.failures.wait(throttled, g.now()); wait > 0 {
		return nil, &auth.Error{Code: CodeSlowDown, Status: http.StatusTooManyRequests, RetryAfter: wait,
			Msg: "too many failed client authentications from this address, retry later",
			Err: errors.New("throttled: too many failures of this client id or address")}
	}
	cl, found, err := g.client(ctx, req.ClientID)
	if err != nil {
		return nil, auth.ErrorOf(err)
	}
	hash := ""
	if found {
		hash = cl.SecretHash
	}
	ok, err := g.checkSecret(ctx, hash, req.ClientSecret)
	switch {
	case errors.Is(err, throttle.ErrQueueFull):
		return nil, g.queueFull(g.now())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil, auth.ErrorOf(err)
	case err != nil:
		g.log.Error("clientcreds: unusable secret hash of a client", "client_id", req.ClientID, "err", err)
		ok = false
	}
	if !found || !ok {
		if g.failures.failed(throttled, g.now()) {
			g.log.Warn("clientcreds: client authentication throttled: too many failures within a minute",
				"client_id", req.ClientID, "network", throttled.network.String())
		}
		e := oauthError(CodeInvalidClient, http.StatusUnauthorized, "client authentication failed")
		e.Err = errors.New("unknown client or wrong secret")
		return nil, e
	}
	g.failures.succeeded(throttled)
	if cl.Disabled {
		return nil, oauthError(CodeInvalidClient, http.StatusUnauthorized, "the client is disabled")
	}
	aud := req.Audience
	allowed := clientAudiences(cl, g.issuer)
	if aud == "" {
		aud = allowed[0]
	} else if !slices.Contains(allowed, aud) {
		return nil, oauthError(CodeInvalidTarget, http.StatusBadRequest, "the client may not ask for this audience")
	}
	scopes := cl.Scope
	if req.Scope != "" {
		scopes = strings.Fields(req.Scope)
		for _, s := range scopes {
			if !slices.Contains(cl.Scope, s) {
				return nil, oauthError(CodeInvalidScope, http.StatusBadRequest, "the scope is not a subset of the client's scopes")
			}
		}
		scopes = uniq(scopes)
	}
	ring, err := g.keys.get()
	if err != nil {
		return nil, &auth.Error{Code: CodeTemporarilyUnavailable, Status: http.StatusServiceUnavailable, Msg: "no signing key", Err: err}
	}
	now := g.now()
	exp := now.Add(g.cfg.TokenTTL)
	jti := randomID()
	scope := strings.Join(scopes, " ")
	claims := ownTokenClaims{
		Issuer: g.issuer, Subject: cl.Sub(), Audience: aud, IssuedAt: now.Unix(), Expiry: exp.Unix(), ID: jti,
		ClientID: cl.ID, Scope: scope, Permissions: nonNil(cl.Permissions), Roles: nonNil(cl.Roles), Groups: nonNil(cl.Groups),
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return nil, err
	}
	jws, err := ring.current.signer.Sign(payload)
	if err != nil {
		return nil, err
	}
	tok, err := jws.CompactSerialize()
	if err != nil {
		return nil, err
	}
	return &Token{
		AccessToken: tok, ExpiresAt: time.Unix(exp.Unix(), 0), ExpiresIn: exp.Unix() - now.Unix(),
		Scope: scope, ClientID: cl.ID, Subject: cl.Sub(), Audience: aud, ID: jti,
	}, nil
}

// ownTokenClaims are the claims of the app's own tokens.
type ownTokenClaims struct {
	Issuer      string   `json:"iss"`
	Subject     string   `json:"sub"`
	Audience    string   `json:"aud"`
	IssuedAt    int64    `json:"iat"`
	Expiry      int64    `json:"exp"`
	ID          string   `json:"jti"`
	ClientID    string   `json:"client_id"`
	Scope       string   `json:"scope"`
	Permissions []string `json:"permissions"`
	Roles       []string `json:"roles"`
	Groups      []string `json:"groups"`
}

// clientAudiences returns the audiences a client may ask for: its own, or
// the issuer when it has none.
func clientAudiences(c store.Client, issuer string) []string {
	if len(c.Audience) == 0 {
		return []string{issuer}
	}
	return c.Audience
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func uniq(s []string) []string {
	out := s[:0:0]
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
