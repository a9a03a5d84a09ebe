package auth

import (
	"cmp"
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

// Machine describes the machine client behind an identity of
// [KindClient]: what its token says. A Machine is shared by every request
// that carries the same token: it must not be modified.
type Machine struct {
	// Issuer is the token's iss.
	Issuer string
	// Subject is the token's sub ("" when absent).
	Subject string
	// Principal names the client: the issuer's principal_claim, or else
	// the first of sub, client_id and azp that is set. It is the
	// identity's Subject; "" (from a [MachineIssuer] that leaves it) means
	// Subject.
	Principal string
	// ClientID is the client_id claim ("" when absent).
	ClientID string
	// Audience is the token's aud.
	Audience []string
	// ID is the token's jti ("" when absent).
	ID string
	// IssuedAt is the token's iat (zero when absent).
	IssuedAt time.Time
	// ExpiresAt is when the token stops being accepted: its exp plus the
	// clock skew its issuer tolerates.
	ExpiresAt time.Time
	// HasScope reports whether the token had a scope claim at all; a
	// token without one skips scope checks (see [Machine.Grants]).
	HasScope bool
	// Scopes are the values of the scope and scp claims, each a
	// space-separated string or a list.
	Scopes []string
	// Permissions, Roles and Groups are the claims of those names.
	Permissions []string
	Roles       []string
	Groups      []string
}

// Grants reports whether the token allows scope: its scope claim holds
// scope, "action:*", "*" or "*:*", or its permissions hold scope. A token
// without a scope claim is not checked against scopes (as the validator
// it replaces): it passes unless it has a permissions claim, which must
// then hold scope.
func (mi *Machine) Grants(scope string) bool {
	if slices.Contains(mi.Permissions, scope) {
		return true
	}
	if !mi.HasScope {
		return len(mi.Permissions) == 0
	}
	action, _, _ := strings.Cut(scope, ":")
	for _, s := range mi.Scopes {
		if s == scope || s == "*" || s == "*:*" || s == action+":*" {
			return true
		}
	}
	return false
}

// Machine returns what a machine client's token says, or nil for other
// identities. The result must not be modified.
func (id *Identity) Machine() *Machine {
	if id == nil {
		return nil
	}
	return id.machine
}

// MachineIssuer issues machine tokens (JWTs) that the Manager verifies by
// asking it, as it verifies those of jwt_issuers by their keys. Plug one
// in with [Config.MachineIssuers]; the Manager never closes it.
type MachineIssuer interface {
	// Issuer is the iss claim of its tokens. It must differ from every
	// jwt_issuers entry and from the other issuers.
	Issuer() string
	// Verify checks a token whose iss is Issuer() for audience ("" means
	// the issuer's own rule) at now, and returns what it says. A refusal
	// wraps ErrTokenInvalid, ErrTokenExpired or ErrTokenRevoked.
	Verify(ctx context.Context, token, audience string, now time.Time) (*Machine, error)
	// Version changes whenever a token that Verify accepted may have
	// stopped being valid (a client disabled, removed, or its audiences
	// changed); the Manager then verifies a cached token again before
	// using it.
	Version() uint64
}

// errNotMachineToken refuses a token that is not a JWT of a configured
// issuer.
var errNotMachineToken = fmt.Errorf("auth: not a JWT of a configured issuer: %w", ErrTokenInvalid)

// VerifyMachineToken returns the identity ([KindClient]) of a machine
// token: a JWT of one of jwt_issuers or of a [MachineIssuer], accepted for
// audience: "" means the issuer's own rule (a jwt_issuers entry's
// audience), any other value that exact audience. Identities are cached
// per (audience, token) until the token expires; a token of a
// MachineIssuer whose Version changed is verified again. User and service
// tokens are refused with [ErrTokenInvalid], like anything that is not a
// JWT of a known issuer; other refusals wrap [ErrTokenInvalid],
// [ErrTokenExpired] or [ErrTokenRevoked].
func (m *Manager) VerifyMachineToken(ctx context.Context, token, audience string) (*Identity, error) {
	id, handled, err := m.machineIdentity(ctx, token, audience)
	switch {
	case !handled:
		return nil, errNotMachineToken
	case err != nil:
		return nil, err
	}
	return id, nil
}

// machineTokens verifies the JWTs of the machine issuers and caches the
// identities they give until the tokens expire.
type machineTokens struct {
	issuers map[string]MachineIssuer // by iss
	scopes  map[string]capabilities.Set

	mu    sync.RWMutex
	cache map[machineKey]*machineEntry
}

// machineKey is a token verified for an audience ("" for the issuer's
// own rule).
type machineKey struct{ aud, tok string }

// machineEntry is a verified token's identity. ver is the issuer's
// Version when the token was last verified.
type machineEntry struct {
	id  *Identity
	exp time.Time
	iss MachineIssuer
	ver atomic.Uint64
}

// initMachine builds the verifier of machine tokens from jwt_issuers and
// Config.MachineIssuers; m.machine stays nil when there is none. Unknown
// capability names in scope_capabilities are refused.
func (m *Manager) initMachine() error {
	c := m.cfg
	scopes := make(map[string]capabilities.Set, len(c.ScopeCapabilities))
	for scope, names := range c.ScopeCapabilities {
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
	if len(c.JWTIssuers) == 0 && len(c.MachineIssuers) == 0 {
		return nil
	}
	v := &machineTokens{issuers: map[string]MachineIssuer{}, scopes: scopes, cache: map[machineKey]*machineEntry{}}
	for i, iss := range c.JWTIssuers {
		j, err := newJWTIssuer(iss, fmt.Sprintf("jwt_issuers[%d]", i), m.client, m.now, m.log)
		if err != nil {
			return err
		}
		v.issuers[iss.Issuer] = j
	}
	for _, iss := range c.MachineIssuers {
		if iss == nil {
			return errors.New("auth: Config.MachineIssuers holds a nil issuer")
		}
		name := iss.Issuer()
		if _, dup := v.issuers[name]; dup || name == "" {
			return fmt.Errorf("auth: machine issuer %q is empty or also in jwt_issuers or another MachineIssuers entry", name)
		}
		v.issuers[name] = iss
	}
	m.machine = v
	return nil
}

// machineIdentity resolves tok for aud when it is a JWT of a known
// issuer; handled is false for any other token.
func (m *Manager) machineIdentity(ctx context.Context, tok, aud string) (id *Identity, handled bool, err error) {
	v := m.machine
	if v == nil {
		return nil, false, nil
	}
	now := m.now()
	key := machineKey{aud, tok}
	v.mu.RLock()
	e := v.cache[key]
	v.mu.RUnlock()
	if e != nil {
		if !now.Before(e.exp) {
			v.drop(key)
			return nil, true, fmt.Errorf("auth: JWT expired: %w", ErrTokenExpired)
		}
		if err := e.recheck(ctx, tok, aud, now); err != nil {
			v.drop(key)
			return nil, true, err
		}
		return e.id, true, nil
	}
	name, ok := jwtIssuerOf(tok)
	if !ok {
		return nil, false, nil
	}
	iss := v.issuers[name]
	if iss == nil {
		return nil, false, nil
	}
	ver := iss.Version() // before verifying: a change meanwhile is seen next time
	mi, err := iss.Verify(ctx, tok, aud, now)
	if err != nil {
		m.log.Debug("auth: machine token refused", "issuer", name, "err", err)
		return nil, true, err
	}
	var claims claimValues
	if m.claims.needed() {
		claims = m.claims.keep(jwtClaims(tok), "client:"+mi.Subject)
	}
	e = &machineEntry{id: m.clientIdentity(mi, claims), exp: mi.ExpiresAt, iss: iss}
	e.ver.Store(ver)
	v.mu.Lock()
	if len(v.cache) >= defaultCacheEntries {
		v.pruneLocked(now)
	}
	v.cache[machineKey{strings.Clone(aud), strings.Clone(tok)}] = e
	v.mu.Unlock()
	return e.id, true, nil
}

// recheck verifies a cached token again when its issuer's version moved
// since; the token says the same, so the identity stays.
func (e *machineEntry) recheck(ctx context.Context, tok, aud string, now time.Time) error {
	ver := e.iss.Version()
	if ver == e.ver.Load() {
		return nil
	}
	if _, err := e.iss.Verify(ctx, tok, aud, now); err != nil {
		return err
	}
	e.ver.Store(ver)
	return nil
}

// drop removes a token from the cache.
func (v *machineTokens) drop(key machineKey) {
	v.mu.Lock()
	delete(v.cache, key)
	v.mu.Unlock()
}

// pruneLocked drops expired entries, or everything when none has expired
// (only verified tokens get in, so the cache cannot be filled with junk).
func (v *machineTokens) pruneLocked(now time.Time) {
	for k, e := range v.cache {
		if !now.Before(e.exp) {
			delete(v.cache, k)
		}
	}
	if len(v.cache) >= defaultCacheEntries {
		clear(v.cache)
	}
}

// clientIdentity builds the identity of a verified machine token: the
// guest capabilities plus the closure of scope_capabilities over its
// scopes and permissions, plus the grants of claim_capabilities.
func (m *Manager) clientIdentity(mi *Machine, claims claimValues) *Identity {
	set := m.policy.Guest().Union(m.claims.grant(claims))
	for _, list := range [][]string{mi.Scopes, mi.Permissions} {
		for _, s := range list {
			if caps, ok := m.machine.scopes[s]; ok {
				set = set.Union(caps)
			}
		}
	}
	return &Identity{
		Kind: KindClient, Subject: cmp.Or(mi.Principal, mi.Subject), TokenID: mi.ID, Via: "bearer", ExpiresAt: mi.ExpiresAt,
		set: set, graph: m.graph, machine: mi, claims: claims,
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
