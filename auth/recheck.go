package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
	"github.com/oauthgate/oauthgate/capabilities"
	"golang.org/x/oauth2"
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

// refreshGrant uses the refresh token. A refusal of the grant
// (invalid_grant) or an ID token for another user wraps ErrTokenRevoked;
// other errors mean the provider could not answer.
func (m *Manager) refreshGrant(ctx context.Context, rs *recheckState, now time.Time) error {
	if m.idp == nil {
		return errors.New("auth: no identity provider configured")
	}
	ready, err := m.idp.get(ctx)
	if err != nil {
		return err
	}
	cctx := m.idp.clientContext(ctx)
	tok, err := ready.oauth.TokenSource(cctx, &oauth2.Token{RefreshToken: rs.refresh}).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
			return fmt.Errorf("auth: refresh refused (%s): %w", re.ErrorCode, ErrTokenRevoked)
		}
		return err
	}
	// The provider may have rotated the refresh token: keep the new one
	// whatever the ID token says.
	if tok.RefreshToken != "" {
		rs.refresh = tok.RefreshToken
	}
	raw, idErr := m.checkRefreshedIDToken(cctx, ready, tok, rs.subject)
	checked := now
	if idErr != nil {
		checked = rs.lastOK
	} else if raw != nil {
		// A claim changed at the provider applies from now on.
		cv := m.claims.keep(raw, rs.subject)
		rs.claims.Store(&cv)
	}
	sealed, err := m.sealGrant(keptGrant{refresh: rs.refresh, checked: checked, claims: rs.currentClaims(), hasClaims: true})
	if err == nil {
		err = m.tokens.PutGrant(ctx, rs.tokenID, sealed, rs.expiresAt)
	}
	if err != nil {
		// The rotated refresh token lives on in memory only.
		m.log.Error("auth: could not keep a rotated refresh token", "token_id", rs.tokenID, "err", err)
	}
	return idErr
}

// checkRefreshedIDToken verifies the ID token of a refresh answer, if any:
// signature, issuer, audience, expiry, and the same user. It returns the
// token's claims (nil without an ID token).
func (m *Manager) checkRefreshedIDToken(ctx context.Context, ready *idpReady, tok *oauth2.Token, subject string) (map[string]json.RawMessage, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, nil
	}
	idt, err := ready.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, fmt.Errorf("auth: refreshed ID token: %w", err)
	}
	var claims struct {
		Email string `json:"email"`
	}
	var all map[string]json.RawMessage
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("auth: refreshed ID token: %w", err)
	}
	if err := idt.Claims(&all); err != nil {
		return nil, fmt.Errorf("auth: refreshed ID token: %w", err)
	}
	if claims.Email != "" && capabilities.NormalizeEmail(claims.Email) != subject {
		return nil, fmt.Errorf("auth: refreshed ID token names another user: %w", ErrTokenRevoked)
	}
	return all, nil
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
