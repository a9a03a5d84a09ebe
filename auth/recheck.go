package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
)

// recheckRetry is the least time between two re-check attempts of one
// token while the identity provider fails.
const recheckRetry = time.Minute

// recheckState is the re-check state of one user token that carries an
// identity-provider refresh token. Requests read due without locking; the
// one that finds it past takes mu and re-checks, the others wait for it
// (one refresh per token at a time).
type recheckState struct {
	due atomic.Int64 // Unix nanoseconds when a re-check is due

	mu        sync.Mutex
	tokenID   string
	subject   string
	expiresAt time.Time
	refresh   string    // the current refresh token (rotated by the provider)
	lastOK    time.Time // last confirmation by the provider
	nextTry   time.Time // after a failure, no attempt before this

	// claims are those kept for claim rules: the token's, then those of
	// the ID token of the last re-check. Read without mu.
	claims atomic.Pointer[claimValues]
}

func newRecheckState(c envelope.Claims, claims claimValues, interval time.Duration) *recheckState {
	rs := &recheckState{tokenID: c.ID, subject: c.Subject, expiresAt: c.ExpiresAt, refresh: c.RefreshToken, lastOK: c.CheckedAt}
	if rs.lastOK.IsZero() {
		rs.lastOK = c.IssuedAt
	}
	rs.due.Store(rs.lastOK.Add(interval).UnixNano())
	rs.claims.Store(&claims)
	return rs
}

func (rs *recheckState) currentClaims() claimValues { return *rs.claims.Load() }

// recheckEntry re-checks e if due and returns the entry to use: e, or a
// new one when the re-check changed the kept claims (their grants and
// RequireClaim follow the provider).
func (m *Manager) recheckEntry(ctx context.Context, e *credEntry, now time.Time) (*credEntry, error) {
	if e.recheck == nil || now.UnixNano() < e.recheck.due.Load() {
		return e, nil
	}
	if err := m.recheck(ctx, e, now); err != nil {
		return nil, err
	}
	cv := e.recheck.currentClaims()
	if cv.equal(e.cred.claims) {
		return e, nil
	}
	c := e.cred
	c.claims = cv
	return m.newEntry(ctx, c, e.recheck)
}

// recheck confirms the holder of e's user token with the identity
// provider, if due. It returns an error wrapping ErrTokenRevoked when the
// provider refuses the grant (the token is then revoked for good), or
// ErrNotConfirmed when the provider could not be reached for longer than
// the grace period.
func (m *Manager) recheck(ctx context.Context, e *credEntry, now time.Time) error {
	rs := e.recheck
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if now.UnixNano() < rs.due.Load() {
		return nil // done meanwhile by another request
	}
	interval := m.cfg.RecheckInterval
	m.loadGrant(ctx, rs)
	if now.Before(rs.lastOK.Add(interval)) {
		rs.due.Store(rs.lastOK.Add(interval).UnixNano())
		return nil // done by another process
	}
	if now.Before(rs.nextTry) {
		return m.graceCheck(rs, now, nil)
	}
	err := m.refreshGrant(context.WithoutCancel(ctx), rs, now)
	switch {
	case err == nil:
		rs.lastOK, rs.nextTry = now, time.Time{}
		rs.due.Store(now.Add(interval).UnixNano())
		m.log.Debug("auth: user re-checked with the identity provider", "email", rs.subject, "token_id", rs.tokenID)
		return nil
	case errors.Is(err, ErrTokenRevoked):
		m.log.Info("auth: the identity provider refused a user token's grant; token revoked", "email", rs.subject, "token_id", rs.tokenID, "err", err)
		if rerr := m.tokens.Revoke(ctx, rs.tokenID, rs.expiresAt); rerr != nil {
			m.log.Error("auth: could not persist a revocation", "token_id", rs.tokenID, "err", rerr)
		}
		rs.due.Store(now.UnixNano()) // stays due: every request sees the refusal
		return err
	}
	rs.nextTry = now.Add(min(recheckRetry, interval))
	return m.graceCheck(rs, now, err)
}

// graceCheck decides after a failed re-check: access continues until the
// last confirmation plus the grace period.
func (m *Manager) graceCheck(rs *recheckState, now time.Time, cause error) error {
	end := rs.lastOK.Add(m.cfg.RecheckGrace)
	if cause != nil {
		m.log.Warn("auth: could not re-check a user with the identity provider", "email", rs.subject, "token_id", rs.tokenID,
			"grace_until", end, "err", cause)
	}
	if !now.Before(end) {
		rs.due.Store(now.UnixNano())
		return fmt.Errorf("auth: user %s not confirmed since %s: %w", rs.subject, rs.lastOK.Format(time.RFC3339), ErrNotConfirmed)
	}
	next := end
	if !rs.nextTry.IsZero() && rs.nextTry.Before(end) {
		next = rs.nextTry
	}
	rs.due.Store(next.UnixNano())
	return nil
}

// loadGrant takes the latest grant kept for the token (another process or
// an earlier run may have rotated the refresh token).
func (m *Manager) loadGrant(ctx context.Context, rs *recheckState) {
	sealed, ok, err := m.tokens.Grant(ctx, rs.tokenID)
	if err != nil || !ok {
		return
	}
	g, err := m.openGrant(sealed)
	if err != nil {
		m.log.Warn("auth: ignoring a kept grant that does not open", "token_id", rs.tokenID, "err", err)
		return
	}
	if g.checked.After(rs.lastOK) || g.refresh != rs.refresh && !g.checked.Before(rs.lastOK) {
		rs.refresh, rs.lastOK = g.refresh, g.checked
		if g.hasClaims {
			rs.claims.Store(&g.claims)
		}
	}
}

// refreshGrant asks the provider to confirm the grant (a refresh token,
// or for GitHub a lasting access token; see [loginProvider.recheck]). A
// refusal wraps ErrTokenRevoked; other errors mean the provider could not
// answer.
func (m *Manager) refreshGrant(ctx context.Context, rs *recheckState, now time.Time) error {
	if m.idp == nil {
		return errors.New("auth: no identity provider configured")
	}
	p, err := m.idp.get(ctx)
	if err != nil {
		return err
	}
	res, err := p.recheck(ctx, rs.refresh, rs.subject)
	if res.grant == "" {
		return err
	}
	// The provider may have rotated the grant: keep the new one whatever
	// else the answer says.
	rs.refresh = res.grant
	checked := now
	if err != nil {
		checked = rs.lastOK
	} else if res.claims != nil {
		// A claim changed at the provider applies from now on.
		cv := m.claims.keep(res.claims, rs.subject)
		rs.claims.Store(&cv)
	}
	sealed, serr := m.sealGrant(keptGrant{refresh: rs.refresh, checked: checked, claims: rs.currentClaims(), hasClaims: true})
	if serr == nil {
		serr = m.tokens.PutGrant(ctx, rs.tokenID, sealed, rs.expiresAt)
	}
	if serr != nil {
		// The rotated grant lives on in memory only.
		m.log.Error("auth: could not keep a rotated refresh token", "token_id", rs.tokenID, "err", serr)
	}
	return err
}

// keptGrant is what the token store keeps of a user token's grant, so
// that every process re-checks from the latest: the rotated refresh
// token, when the provider last confirmed the user, and the claims then
// kept (hasClaims is false in grants kept before claims were).
type keptGrant struct {
	refresh   string
	checked   time.Time
	claims    claimValues
	hasClaims bool
}

func (m *Manager) sealGrant(g keptGrant) (string, error) {
	b := appendString(nil, g.refresh)
	b = appendInt(b, g.checked.Unix())
	if g.hasClaims {
		b = appendClaims(b, g.claims)
	}
	return m.codec.SealBytes(envelope.PurposeGrant, b)
}

func (m *Manager) openGrant(sealed string) (keptGrant, error) {
	plain, err := m.codec.OpenBytes(envelope.PurposeGrant, sealed)
	if err != nil {
		return keptGrant{}, err
	}
	r := newFieldReader(plain)
	g := keptGrant{refresh: r.str()}
	unix := r.int()
	if r.err == nil && len(r.b) > 0 {
		g.claims, g.hasClaims = readClaims(r), true
	}
	if err := r.done(); err != nil {
		return keptGrant{}, err
	}
	g.checked = time.Unix(unix, 0).UTC()
	return g, nil
}
