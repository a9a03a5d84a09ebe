package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oauthgate/oauthgate/capabilities"
)

// machineClaims are the claims of a machine client's JWT access token
// (client credentials), as simple_oauth_server and Auth0 issue them.
type machineClaims struct {
	Issuer    string    `json:"-"`
	Subject   string    `json:"-"`
	Audience  []string  `json:"-"`
	ExpiresAt time.Time `json:"-"`
	IssuedAt  time.Time `json:"-"`
	NotBefore *float64  `json:"nbf"`
	ID        string    `json:"jti"`
	ClientID  string    `json:"client_id"`
	// Scope is nil when the token has no scope claim.
	Scope       *string    `json:"scope"`
	Permissions stringList `json:"permissions"`
	Roles       stringList `json:"roles"`
	Groups      stringList `json:"groups"`
}

// stringList is a JSON list of strings that may also be one string.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*l = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("auth: expected a string or a list of strings")
	}
	*l = many
	return nil
}

// Machine describes the machine client behind an identity of
// [KindClient]: what its token says.
type Machine struct {
	// Issuer is the token's iss.
	Issuer string
	// ClientID is the client_id claim ("" when absent).
	ClientID string
	// HasScope reports whether the token had a scope claim at all; a
	// token without one skips scope checks ([Manager.RequireDerivedScope]).
	HasScope bool
	// Scopes are the scope claim's space-separated values.
	Scopes []string
	// Permissions, Roles and Groups are the claims of those names.
	Permissions []string
	Roles       []string
	Groups      []string
}

// Machine returns what a machine client's token says, or nil for other
// identities. The result must not be modified.
func (id *Identity) Machine() *Machine {
	if id == nil {
		return nil
	}
	return id.machine
}

// issuerVerifier verifies the JWTs of one issuer: a configured external
// one (*jwtIssuer) or the app's own (*clientGrant). Tokens are routed
// to it by their iss.
type issuerVerifier interface {
	verify(ctx context.Context, tok string, now time.Time) (*machineClaims, error)
	// verifyAudience is verify for the audience aud instead of the
	// configured one (API Gateway stages).
	verifyAudience(ctx context.Context, tok string, now time.Time, aud string) (*machineClaims, error)
}

// machineVerifier verifies the JWTs of the configured issuers and caches
// the identities they give until the tokens expire.
type machineVerifier struct {
	issuers map[string]issuerVerifier
	scopes  map[string]capabilities.Set // scope or permission → closed set

	mu    sync.RWMutex
	cache map[string]*machineEntry
}

type machineEntry struct {
	id  *Identity
	exp time.Time
	own *ownCheck // nil for tokens of other issuers
}

// ownCheck is what a cache entry of one of the app's own tokens needs
// to re-check its client whenever the client store's version differs from
// ver: a client disabled or removed loses its tokens at once.
type ownCheck struct {
	clientID string
	aud      []string
	ver      atomic.Uint64
}

// newOwnCheck returns the check of verified own claims c, as of store
// version ver (read before the verification); nil for other issuers.
func (m *Manager) newOwnCheck(c *machineClaims, own bool, ver uint64) *ownCheck {
	if !own {
		return nil
	}
	oc := &ownCheck{clientID: c.ClientID, aud: c.Audience}
	oc.ver.Store(ver)
	return oc
}

// recheckOwn re-checks the client of a cached own token when the client
// store changed since; nil for other issuers.
func (m *Manager) recheckOwn(ctx context.Context, oc *ownCheck) error {
	if oc == nil {
		return nil
	}
	ver := m.grant.version()
	if ver == oc.ver.Load() {
		return nil
	}
	if err := m.grant.stillValid(ctx, oc.clientID, oc.aud); err != nil {
		return err
	}
	oc.ver.Store(ver)
	return nil
}

// ownIssuer reports whether iss is the app's own, and if so returns
// the client store's version, read before verifying.
func (m *Manager) ownIssuer(iss string) (own bool, ver uint64) {
	if m.grant == nil || iss != m.grant.issuer {
		return false, 0
	}
	return true, m.grant.version()
}

// initMachine builds the verifier of machine tokens; nil when no issuer is
// configured. Unknown capability names in scope_capabilities are refused.
func (m *Manager) initMachine() error {
	mc := &m.cfg.MachineConfig
	scopes := make(map[string]capabilities.Set, len(mc.ScopeCapabilities))
	for scope, names := range mc.ScopeCapabilities {
		s, err := m.graph.Set(names...)
		if err != nil {
			var unknown *capabilities.UnknownCapabilityError
			if errors.As(err, &unknown) {
				return &ConfigError{Key: "scope_capabilities." + scope, Reason: fmt.Sprintf("unknown capability %q", unknown.Name)}
			}
			return err
		}
		scopes[scope] = m.graph.Closure(s)
	}
	if len(mc.JWTIssuers) == 0 && m.grant == nil {
		return nil
	}
	v := &machineVerifier{issuers: map[string]issuerVerifier{}, scopes: scopes, cache: map[string]*machineEntry{}}
	for _, iss := range mc.JWTIssuers {
		v.issuers[iss.Issuer] = newJWTIssuer(m, iss)
	}
	if m.grant != nil {
		v.issuers[m.grant.issuer] = m.grant
	}
	m.machine = v
	return nil
}

// machineBearer resolves tok when it is a JWT of a configured issuer;
// handled is false for any other token.
func (m *Manager) machineBearer(ctx context.Context, tok string) (id *Identity, handled bool, err error) {
	v := m.machine
	if v == nil {
		return nil, false, nil
	}
	now := m.now()
	v.mu.RLock()
	e := v.cache[tok]
	v.mu.RUnlock()
	if e != nil {
		if !now.Before(e.exp) {
			v.drop(tok)
			return m.guest, true, fmt.Errorf("auth: JWT expired: %w", ErrTokenExpired)
		}
		if err := m.recheckOwn(ctx, e.own); err != nil {
			v.drop(tok)
			return m.guest, true, err
		}
		return e.id, true, nil
	}
	iss, ok := jwtIssuerOf(tok)
	if !ok {
		return nil, false, nil
	}
	j := v.issuers[iss]
	if j == nil {
		return nil, false, nil
	}
	own, ver := m.ownIssuer(iss)
	c, err := j.verify(ctx, tok, now)
	if err != nil {
		m.log.Debug("auth: machine token refused", "issuer", iss, "err", err)
		return m.guest, true, err
	}
	id = m.clientIdentity(c)
	v.mu.Lock()
	if len(v.cache) >= defaultCacheEntries {
		v.pruneLocked(now)
	}
	v.cache[strings.Clone(tok)] = &machineEntry{id: id, exp: c.ExpiresAt, own: m.newOwnCheck(c, own, ver)}
	v.mu.Unlock()
	return id, true, nil
}

// drop removes a token from the cache.
func (v *machineVerifier) drop(tok string) {
	v.mu.Lock()
	delete(v.cache, tok)
	v.mu.Unlock()
}

// pruneLocked drops expired entries, or everything when none has expired
// (only verified tokens get in, so the cache cannot be filled with junk).
func (v *machineVerifier) pruneLocked(now time.Time) {
	for k, e := range v.cache {
		if !now.Before(e.exp) {
			delete(v.cache, k)
		}
	}
	if len(v.cache) >= defaultCacheEntries {
		clear(v.cache)
	}
}

// clientIdentity builds the identity of verified machine claims: the
// guest capabilities plus the closure of scope_capabilities over its
// scopes and permissions.
func (m *Manager) clientIdentity(c *machineClaims) *Identity {
	mi := &Machine{
		Issuer: c.Issuer, ClientID: c.ClientID, HasScope: c.Scope != nil,
		Permissions: slices.Clip([]string(c.Permissions)), Roles: slices.Clip([]string(c.Roles)), Groups: slices.Clip([]string(c.Groups)),
	}
	if c.Scope != nil {
		mi.Scopes = strings.Fields(*c.Scope)
	}
	set := m.policy.Guest()
	for _, list := range [][]string{mi.Scopes, mi.Permissions} {
		for _, s := range list {
			if caps, ok := m.machine.scopes[s]; ok {
				set = set.Union(caps)
			}
		}
	}
	return &Identity{
		Kind: KindClient, Subject: c.Subject, TokenID: c.ID, Via: "bearer", ExpiresAt: c.ExpiresAt,
		set: set, graph: m.graph, machine: mi,
	}
}

// jwtIssuerOf returns the iss claim of a compact JWT (three base64url
// parts), read without verifying anything; ok is false when tok does not
// look like a JWT.
func jwtIssuerOf(tok string) (iss string, ok bool) {
	first := strings.IndexByte(tok, '.')
	if first <= 0 {
		return "", false
	}
	rest := tok[first+1:]
	second := strings.IndexByte(rest, '.')
	if second <= 0 || strings.IndexByte(rest[second+1:], '.') >= 0 {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(rest[:second])
	if err != nil {
		return "", false
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if json.Unmarshal(payload, &c) != nil || c.Issuer == "" {
		return "", false
	}
	return c.Issuer, true
}
