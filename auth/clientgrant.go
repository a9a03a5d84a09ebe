package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oauthgate/oauthgate/capabilities/filestore"
	"github.com/oauthgate/oauthgate/capabilities/memstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/internal/throttle"
)

// OAuth 2.0 error codes of the token endpoint (RFC 6749 §5.2, RFC 8707,
// RFC 8628 §3.5): the Code of its [Error] values.
const (
	OAuthInvalidRequest       = "invalid_request"
	OAuthInvalidClient        = "invalid_client"
	OAuthInvalidScope         = "invalid_scope"
	OAuthInvalidTarget        = "invalid_target"
	OAuthUnsupportedGrantType = "unsupported_grant_type"
	OAuthTemporarilyUnavail   = "temporarily_unavailable"
	OAuthSlowDown             = "slow_down"
)

func oauthErr(code string, status int, desc string) *Error {
	return &Error{Status: status, Msg: desc, Code: code}
}

// ClientTokenRequest is a client-credentials token request.
type ClientTokenRequest struct {
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

// ClientToken is a minted access token of a machine client.
type ClientToken struct {
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

// clientGrant runs the client-credentials grant and verifies its tokens.
type clientGrant struct {
	m         *Manager
	cfg       *ClientCredentialsConfig
	issuer    string
	static    map[string]store.Client // from the configuration
	store     store.ClientStore
	keys      *signingKeys
	audiences []string // accepted on this app; nil: the client's

	// hashes bounds the argon2id computations: GOMAXPROCS at once (each
	// takes ~19 MiB) and a few more waiting; a flood beyond that is
	// refused at once instead of piling up.
	hashes *throttle.Queue
	// failures refuses, before any hash, the pairs and networks that
	// failed too often.
	failures *failureThrottle
	// fullLogged is when the full queue was last logged (Unix seconds).
	fullLogged atomic.Int64

	dummyOnce sync.Once
	dummy     string       // hash checked for unknown clients
	checks    atomic.Int64 // secrets hashed
}

// initClients sets up the client-credentials grant when it is configured:
// the configuration's clients (plaintext secrets hashed now), the client
// store and the signing keys.
func (m *Manager) initClients(ctx context.Context) error {
	c := m.cfg
	if !c.ClientCredentialsEnabled() {
		return nil
	}
	clients := c.Clients
	if c.ClientsFile != "" {
		fromFile, err := loadClientsFile(c.ClientsFile)
		if err != nil {
			return err
		}
		clients = make(map[string]ClientConfig, len(c.Clients)+len(fromFile))
		for id, cl := range c.Clients {
			clients[id] = cl
		}
		for id, cl := range fromFile {
			if _, dup := clients[id]; dup {
				return &ConfigError{Key: "clients_file", Reason: fmt.Sprintf("client %q is also in clients", id)}
			}
			clients[id] = cl
		}
	}
	g := &clientGrant{
		m: m, cfg: &c.ClientCredentials, issuer: c.ClientCredentials.Issuer,
		static:    make(map[string]store.Client, len(clients)),
		audiences: slices.Clone([]string(c.ClientCredentials.Audiences)),
		hashes:    throttle.NewQueue(runtime.GOMAXPROCS(0), c.Throttle.SecretCheckQueue),
		failures:  newFailureThrottle(c.Throttle.ClientThrottle),
	}
	for _, id := range sortedKeys(clients) {
		cl := clients[id]
		hash := cl.ClientSecret
		if !IsClientSecretHash(hash) {
			m.log.Warn("auth: plaintext client secret in the configuration: store an argon2id hash (oauthgate clients hash) or a ~CRYPT~ value", "client_id", id)
			var err error
			if hash, err = HashClientSecret(cl.ClientSecret); err != nil {
				return err
			}
		}
		g.static[id] = store.Client{
			ID: id, SecretHash: hash, Audience: slices.Clone([]string(cl.Audience)), Subject: cl.Sub,
			Scope: slices.Clone([]string(cl.Scope)), Permissions: slices.Clone([]string(cl.Permissions)),
			Roles: slices.Clone([]string(cl.Roles)), Groups: slices.Clone([]string(cl.Groups)), Disabled: cl.Disabled,
		}
	}
	var err error
	if g.store, err = m.openClientStore(ctx); err != nil {
		return err
	}
	if stored, err := g.store.Clients(ctx); err == nil {
		for _, sc := range stored {
			if _, ok := g.static[sc.ID]; ok {
				m.log.Warn("auth: a client of the configuration hides the stored client of the same id", "client_id", sc.ID)
			}
		}
	}
	if g.keys, err = loadSigningKeys(g.cfg, func(msg string, args ...any) { m.log.Info(msg, args...) }); err != nil {
		return err
	}
	m.issuing.grant = g
	return nil
}

// openClientStore returns the store of machine clients: Config.ClientStore,
// else the capability or token store when it keeps clients (a database
// driver's), else the clients file beside the user file, else memory.
func (m *Manager) openClientStore(ctx context.Context) (store.ClientStore, error) {
	if m.cfg.ClientStore != nil {
		return m.cfg.ClientStore, nil
	}
	for _, s := range []any{m.store, m.tokens} {
		if cs, ok := s.(store.ClientStore); ok {
			return cs, nil
		}
	}
	var cs store.ClientStore
	if userFile := m.cfg.Capabilities.UserFile; userFile != "" {
		fs, err := filestore.OpenClientStore(filestore.ClientFileFor(userFile),
			filestore.Options{Logger: m.log, Now: m.now})
		if err != nil {
			return nil, err
		}
		cs = fs
	} else {
		cs = memstore.NewClientStore()
	}
	m.owned = append(m.owned, cs)
	return cs, nil
}

// ClientStore returns the store of machine clients, or nil when the
// client-credentials grant is not configured. Clients of the configuration
// are not in it.
func (m *Manager) ClientStore() store.ClientStore {
	if m.issuing.grant == nil {
		return nil
	}
	return m.issuing.grant.store
}

// ClientCredentialsIssuer returns the iss of the app's own tokens, or
// "" when the client-credentials grant is not configured.
func (m *Manager) ClientCredentialsIssuer() string {
	if m.issuing.grant == nil {
		return ""
	}
	return m.issuing.grant.issuer
}

// client returns the client of this id: the configuration's, else the
// store's.
func (g *clientGrant) client(ctx context.Context, id string) (store.Client, bool, error) {
	if c, ok := g.static[id]; ok {
		return c, true, nil
	}
	return g.store.Client(ctx, id)
}

// version changes whenever a client may have changed.
func (g *clientGrant) version() uint64 { return g.store.ClientsVersion() }

// checkSecret checks secret against hash (or against a dummy hash when the
// client is unknown, so that the answer takes as long either way), with
// at most GOMAXPROCS hashes computed at once. When the queue of those
// waiting is full it fails at once with [throttle.ErrQueueFull].
func (g *clientGrant) checkSecret(ctx context.Context, hash, secret string) (bool, error) {
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
func (g *clientGrant) queueFull(now time.Time) *Error {
	if last := g.fullLogged.Load(); now.Unix()-last >= 60 && g.fullLogged.CompareAndSwap(last, now.Unix()) {
		g.m.log.Warn("auth: the client secret checks are saturated: token requests get 503 until the queue drains",
			"running", g.hashes.Slots(), "waiting", g.hashes.Waiting())
	}
	return &Error{Code: OAuthTemporarilyUnavail, Status: http.StatusServiceUnavailable,
		Msg: "too many token requests at once, retry shortly", RetryAfter: time.Second, Err: throttle.ErrQueueFull}
}

// IssueClientToken runs the client-credentials grant: it authenticates
// the client by its secret and mints a signed JWT access token for the
// asked audience and scope. Refusals are *[Error] values with the OAuth
// error code of the answer (the OAuth* constants); among them 429
// slow_down, without any check, when the client id or the address of
// req.ClientAddr failed too often ([ThrottleConfig]), and 503
// temporarily_unavailable when too many secret checks already wait or
// the client store is unavailable.
func (m *Manager) IssueClientToken(ctx context.Context, req ClientTokenRequest) (*ClientToken, error) {
	g := m.issuing.grant
	if g == nil {
		return nil, oauthErr(OAuthUnsupportedGrantType, http.StatusBadRequest, "the client_credentials grant is not enabled on this server")
	}
	if req.ClientID == "" || req.ClientSecret == "" {
		return nil, oauthErr(OAuthInvalidClient, http.StatusUnauthorized, "client authentication failed: client_id and client_secret are required")
	}
	throttled := g.failures.key(req.ClientID, req.ClientAddr)
	if wait := g.failures.wait(throttled, m.now()); wait > 0 {
		return nil, &Error{Code: OAuthSlowDown, Status: http.StatusTooManyRequests, RetryAfter: wait,
			Msg: "too many failed client authentications from this address, retry later",
			Err: errors.New("throttled: too many failures of this client id or address")}
	}
	cl, found, err := g.client(ctx, req.ClientID)
	if err != nil {
		return nil, ErrorOf(err)
	}
	hash := ""
	if found {
		hash = cl.SecretHash
	}
	ok, err := g.checkSecret(ctx, hash, req.ClientSecret)
	switch {
	case errors.Is(err, throttle.ErrQueueFull):
		return nil, g.queueFull(m.now())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return nil, ErrorOf(err)
	case err != nil:
		m.log.Error("auth: unusable secret hash of a client", "client_id", req.ClientID, "err", err)
		ok = false
	}
	if !found || !ok {
		if g.failures.failed(throttled, m.now()) {
			m.log.Warn("auth: client authentication throttled: too many failures within a minute",
				"client_id", req.ClientID, "network", throttled.network.String())
		}
		e := oauthErr(OAuthInvalidClient, http.StatusUnauthorized, "client authentication failed")
		e.Err = errors.New("unknown client or wrong secret")
		return nil, e
	}
	g.failures.succeeded(throttled)
	if cl.Disabled {
		return nil, oauthErr(OAuthInvalidClient, http.StatusUnauthorized, "the client is disabled")
	}
	aud := req.Audience
	allowed := clientAudiences(cl, g.issuer)
	if aud == "" {
		aud = allowed[0]
	} else if !slices.Contains(allowed, aud) {
		return nil, oauthErr(OAuthInvalidTarget, http.StatusBadRequest, "the client may not ask for this audience")
	}
	scopes := cl.Scope
	if req.Scope != "" {
		scopes = strings.Fields(req.Scope)
		for _, s := range scopes {
			if !slices.Contains(cl.Scope, s) {
				return nil, oauthErr(OAuthInvalidScope, http.StatusBadRequest, "the scope is not a subset of the client's scopes")
			}
		}
		scopes = uniq(scopes)
	}
	ring, err := g.keys.get()
	if err != nil {
		return nil, &Error{Code: OAuthTemporarilyUnavail, Status: http.StatusServiceUnavailable, Msg: "no signing key", Err: err}
	}
	now := m.now()
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
	return &ClientToken{
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

// JWKS returns the JSON Web Key Set of the app's own tokens (current
// and previous public keys), or nil when the client-credentials grant is
// not configured.
func (m *Manager) JWKS() ([]byte, error) {
	if m.issuing.grant == nil {
		return nil, nil
	}
	ring, err := m.issuing.grant.keys.get()
	if err != nil {
		return nil, err
	}
	return ring.jwks, nil
}

func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
