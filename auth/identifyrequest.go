package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/internal/emailaddr"
)

// maxClockSkew is how far in the future an issue time may be.
const maxClockSkew = 2 * time.Minute

// Identify returns the identity of r: the force_user if configured, else
// the bearer token of its `Authorization: Bearer` header, else its session
// cookie, else a guest. A bearer token that is malformed, invalid, expired
// or revoked is an error (with the guest identity), wrapping
// [ErrTokenMalformed], [ErrTokenInvalid], [ErrTokenExpired] or
// [ErrTokenRevoked]; a bad session cookie is not: it is ignored, and the
// request is a guest's. A store that cannot be reached while checking
// either is an error too ([store.ErrUnavailable]; [ErrorOf]
// answers 503). An Authorization header of another scheme is ignored.
func (m *Manager) Identify(r *http.Request) (*Identity, error) {
	if m.forced != "" {
		return m.forcedIdentity(r.Context())
	}
	if auth, ok := r.Header["Authorization"]; ok && isBearer(auth) {
		// Fast path: only verified tokens are cached, so a hit on the
		// header's rest is that token, and needs no syntax check.
		if len(auth) == 1 && len(auth[0]) > 7 && auth[0][6] == ' ' {
			if e := m.cache.get(true, auth[0][7:]); e != nil && e.fresh(m.now(), m.store, m.tokens) {
				return e.id, nil
			}
		}
		tok, ok := BearerToken(r.Header)
		if !ok {
			return m.guest, fmt.Errorf("auth: malformed Authorization header: %w", ErrTokenMalformed)
		}
		if id, ok, err := m.machineIdentity(r.Context(), tok, ""); ok {
			if err != nil {
				return m.guest, err
			}
			return id, nil
		}
		return m.bearer(r.Context(), tok)
	}
	if v, ok := cookieValue(r.Header, m.sess.name); ok {
		if id, err := m.session(r.Context(), v); id != nil || err != nil {
			return id, err
		}
	}
	return m.guest, nil
}

// isBearer reports whether an Authorization header uses the Bearer scheme
// (several headers count as a bearer attempt, refused by BearerToken).
func isBearer(values []string) bool {
	if len(values) != 1 {
		return true
	}
	v := values[0]
	return len(v) >= 6 && strings.EqualFold(v[:6], "bearer") && (len(v) == 6 || v[6] == ' ' || v[6] == '\t')
}

// bearer resolves a bearer token, from the cache when possible.
func (m *Manager) bearer(ctx context.Context, tok string) (*Identity, error) {
	now := m.now()
	if e := m.cache.get(true, tok); e != nil {
		if e.fresh(now, m.store, m.tokens) {
			return e.id, nil
		}
		return m.refreshEntry(ctx, true, tok, e, now)
	}
	c, rs, err := m.openToken(tok, now)
	if err != nil {
		return m.guest, err
	}
	e, err := m.newEntry(ctx, c, rs)
	if err != nil {
		return m.guest, err
	}
	if e, err = m.recheckEntry(ctx, e, now); err != nil {
		return m.guest, err
	}
	m.cache.put(true, tok, e)
	return e.id, nil
}

// openToken decrypts a user or service token.
func (m *Manager) openToken(tok string, now time.Time) (credential, *recheckState, error) {
	claims, err := m.openAny(tok, now)
	if err != nil {
		return credential{}, nil, err
	}
	c := credential{
		kind: claims.Kind, subject: claims.Subject, id: claims.ID,
		issuedAt: claims.IssuedAt, expiresAt: claims.ExpiresAt,
	}
	switch claims.Kind {
	case envelope.TokenUser:
		if c.claims, err = claimsOfTokenExtra(claims.Extra); err != nil {
			return credential{}, nil, fmt.Errorf("%w: %w", err, ErrTokenInvalid)
		}
	case envelope.TokenService:
		c.snapshot = m.knownSet(claims.Capabilities)
	default:
		return credential{}, nil, fmt.Errorf("auth: a %s is not a bearer token: %w", claims.Kind, ErrTokenInvalid)
	}
	if claims.IssuedAt.After(now.Add(maxClockSkew)) {
		return credential{}, nil, fmt.Errorf("auth: token issued in the future: %w", ErrTokenInvalid)
	}
	var rs *recheckState
	if claims.RefreshToken != "" {
		// The re-check state starts from what the token says; one state
		// per token id, shared by every request that carries it.
		v, _ := m.rechecks.LoadOrStore(claims.ID, newRecheckState(claims, c.claims, m.cfg.RecheckInterval))
		rs = v.(*recheckState)
		// The claims of the last re-check, if any, replace the token's.
		c.claims = rs.currentClaims()
	}
	return c, rs, nil
}

// openAny opens a user or service token (their keys differ, so the wrong
// purpose fails at once, without decrypting).
func (m *Manager) openAny(tok string, now time.Time) (envelope.Claims, error) {
	p := envelope.PurposeUserToken
	if m.codec.SealedFor(envelope.PurposeServiceToken, tok) {
		p = envelope.PurposeServiceToken
	}
	return m.codec.Open(p, tok, now)
}

// knownSet returns the set of the names that the graph still knows.
func (m *Manager) knownSet(names []string) capabilities.Set {
	known := make([]string, 0, len(names))
	for _, n := range names {
		if _, ok := m.graph.Lookup(n); ok {
			known = append(known, n)
		}
	}
	s, _ := m.graph.Set(known...)
	return s
}

// newEntry checks revocation and builds the identity of a verified
// credential.
func (m *Manager) newEntry(ctx context.Context, c credential, rs *recheckState) (*credEntry, error) {
	// Versions first: a change while building makes the entry stale.
	e := &credEntry{cred: c, storeVer: m.store.Version(), tokVer: m.tokens.Version(), recheck: rs}
	if m.tokens.Revoked(c.id, c.subject, c.issuedAt) {
		return nil, fmt.Errorf("auth: %s %s of %s: %w", c.kind, c.id, c.subject, ErrTokenRevoked)
	}
	set, err := m.effective(ctx, c.subject)
	if err != nil {
		return nil, err
	}
	if len(c.claims) > 0 {
		set = set.Union(m.claims.grant(c.claims))
	}
	id := &Identity{Email: c.subject, Kind: KindUser, ExpiresAt: c.expiresAt, set: set, graph: m.graph, claims: c.claims}
	switch c.kind {
	case envelope.TokenSession:
		id.Via, id.sessionID = "session", c.id
	case envelope.TokenUser:
		id.Via, id.TokenID = "bearer", c.id
	case envelope.TokenService:
		id.Kind, id.Via, id.TokenID = KindService, "bearer", c.id
		id.set = set.Intersect(c.snapshot)
	}
	e.id = id
	return e, nil
}

// refreshEntry re-checks a cached entry that is no longer fresh.
func (m *Manager) refreshEntry(ctx context.Context, bearer bool, key string, e *credEntry, now time.Time) (*Identity, error) {
	if !now.Before(e.cred.expiresAt) {
		m.cache.drop(bearer, key)
		if e.recheck != nil {
			m.rechecks.Delete(e.cred.id)
		}
		return m.guest, fmt.Errorf("auth: %s expired at %s: %w", e.cred.kind, e.cred.expiresAt.Format(time.RFC3339), ErrTokenExpired)
	}
	ne := e
	var err error
	if e.storeVer != m.store.Version() || e.tokVer != m.tokens.Version() {
		ne, err = m.newEntry(ctx, e.cred, e.recheck)
		if err != nil {
			m.cache.drop(bearer, key)
			return m.guest, err
		}
	}
	if ne, err = m.recheckEntry(ctx, ne, now); err != nil {
		if errors.Is(err, ErrTokenRevoked) {
			m.cache.drop(bearer, key)
		}
		return m.guest, err
	}
	if ne != e {
		m.cache.put(bearer, key, ne)
	}
	return ne.id, nil
}

// session resolves a session cookie value; nil when it does not give an
// identity (a bad, expired or revoked cookie is a guest's). An error says
// the identity could not be resolved (a store failed), with the guest.
func (m *Manager) session(ctx context.Context, v string) (*Identity, error) {
	now := m.now()
	if e := m.cache.get(false, v); e != nil {
		if e.fresh(now, m.store, m.tokens) {
			return e.id, nil
		}
		id, err := m.refreshEntry(ctx, false, v, e, now)
		if err != nil {
			return m.sessionFailed(err)
		}
		return id, nil
	}
	c, err := m.sess.open(v, now)
	if err != nil {
		m.log.Debug("auth: session cookie ignored", "err", err)
		return nil, nil
	}
	e, err := m.newEntry(ctx, c, nil)
	if err != nil {
		return m.sessionFailed(err)
	}
	m.cache.put(false, v, e)
	return e.id, nil
}

// sessionFailed sorts the errors of checking a session: a credential
// that no longer holds (expired, revoked) makes a guest; anything else,
// such as a store that cannot be reached, fails the request.
func (m *Manager) sessionFailed(err error) (*Identity, error) {
	if errors.Is(err, ErrTokenExpired) || errors.Is(err, ErrTokenRevoked) {
		return nil, nil
	}
	return m.guest, err
}

// forcedEntry caches the force_user identity per store version.
type forcedEntry struct {
	ver uint64
	id  *Identity
}

func (m *Manager) forcedIdentity(ctx context.Context) (*Identity, error) {
	ver := m.store.Version()
	if f := m.forcedID.Load(); f != nil && f.ver == ver && f.id.graph == m.graph && f.id.Email == m.forced {
		return f.id, nil
	}
	set, err := m.effective(ctx, m.forced)
	if err != nil {
		return m.guest, err
	}
	id := &Identity{Email: m.forced, Kind: KindUser, set: set, graph: m.graph}
	if emailaddr.IsService(m.forced) {
		id.Kind = KindService
	}
	m.forcedID.Store(&forcedEntry{ver: ver, id: id})
	return id, nil
}
