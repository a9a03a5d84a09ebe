package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
	"github.com/oauthgate/oauthgate/internal/emailaddr"
)

// IssuedToken is a bearer token just minted.
type IssuedToken struct {
	// Token is the bearer token: opaque, encrypted and authenticated.
	// Never log it.
	Token string
	// Kind is KindUser or KindService.
	Kind Kind
	// Subject is the user's email or the service account's name.
	Subject string
	// ID identifies the token for revocation.
	ID        string
	ExpiresAt time.Time
	// Capabilities are, for a service token, the snapshot it carries; for
	// a user token, what the user holds now (it follows the store).
	Capabilities []string
}

// TokenInfo is what a user or service bearer token says: what [MintToken]
// seals and [InspectToken] reads back. It never holds a secret.
type TokenInfo struct {
	// Kind is KindUser or KindService.
	Kind Kind
	// Subject is the user's email, or name@service for a service account.
	Subject string
	// Capabilities is a service token's snapshot; empty for a user (whose
	// capabilities are looked up at each request).
	Capabilities []string
	// ID identifies the token for revocation.
	ID        string
	IssuedAt  time.Time
	ExpiresAt time.Time
	// Recheck says that the token carries the identity provider's refresh
	// token (not shown): the app re-checks its user with the provider;
	// CheckedAt is when that last succeeded. Only a login makes such a
	// token: MintToken refuses both fields.
	Recheck   bool
	CheckedAt time.Time
	// Claims are a user token's claims for claim_capabilities and
	// [Manager.RequireClaim], each claim's values as text: those its
	// login's ID token gave (the ones the rules read), or those given to
	// MintToken. A service token has none.
	Claims map[string][]string
}

// MintToken seals a user or service bearer token offline, with cfg's
// secret_key, as the app does but without it (tools, tests, bootstrap).
// The subject must be an email (KindUser) or name@service (KindService);
// only a service token carries capabilities, taken as given (close them
// over the graph first). An empty ID is made random, a zero IssuedAt is
// now and a zero ExpiresAt is IssuedAt plus token_ttl. The app learns of
// the token only when it is used; revoke it like any other.
func MintToken(cfg *Config, t TokenInfo) (IssuedToken, error) {
	var (
		claims = envelope.Claims{ID: t.ID, Capabilities: t.Capabilities}
		p      envelope.Purpose
		err    error
	)
	switch t.Kind {
	case KindUser:
		claims.Kind, p = envelope.TokenUser, envelope.PurposeUserToken
		if claims.Subject, err = emailaddr.ParseUser(t.Subject); err != nil {
			return IssuedToken{}, fmt.Errorf("auth: mint: user %q: %w", t.Subject, err)
		}
		if len(t.Capabilities) > 0 {
			return IssuedToken{}, errors.New("auth: mint: a user token carries no capabilities: they are looked up at each request")
		}
	case KindService:
		claims.Kind, p = envelope.TokenService, envelope.PurposeServiceToken
		if claims.Subject, err = emailaddr.ParseService(t.Subject); err != nil {
			return IssuedToken{}, fmt.Errorf("auth: mint: service account %q: %w", t.Subject, err)
		}
	default:
		return IssuedToken{}, fmt.Errorf("auth: mint: a token is for a user or a service account, not a %s", t.Kind)
	}
	if len(t.Claims) > 0 {
		if t.Kind != KindUser {
			return IssuedToken{}, errors.New("auth: mint: only a user token carries claims")
		}
		cv := claimValues(t.Claims)
		if err := cv.checkMinted(); err != nil {
			return IssuedToken{}, fmt.Errorf("auth: mint: %w", err)
		}
		claims.Extra = tokenExtra(cv)
	}
	if t.Recheck || !t.CheckedAt.IsZero() {
		return IssuedToken{}, errors.New("auth: mint: only a login makes a token that is re-checked with the identity provider")
	}
	codec, err := envelope.NewCodec(cfg.SecretKey, cfg.PreviousSecretKeys)
	if err != nil {
		return IssuedToken{}, err
	}
	claims.IssuedAt = t.IssuedAt
	if claims.IssuedAt.IsZero() {
		claims.IssuedAt = cfg.now()
	}
	claims.IssuedAt = claims.IssuedAt.Truncate(time.Second)
	claims.ExpiresAt = t.ExpiresAt
	if claims.ExpiresAt.IsZero() && cfg.TokenTTL > 0 {
		claims.ExpiresAt = claims.IssuedAt.Add(cfg.TokenTTL)
	}
	claims.ExpiresAt = claims.ExpiresAt.Truncate(time.Second)
	if claims.ID == "" {
		claims.ID = envelope.NewTokenID()
	}
	tok, err := codec.Seal(p, claims)
	if err != nil {
		return IssuedToken{}, err
	}
	return IssuedToken{
		Token: tok, Kind: t.Kind, Subject: claims.Subject, ID: claims.ID,
		ExpiresAt: claims.ExpiresAt, Capabilities: claims.Capabilities,
	}, nil
}

// InspectToken opens a user or service bearer token with cfg's
// secret_key or previous_secret_keys and returns what it says. Errors
// match [ErrTokenMalformed] (not a token), [ErrTokenInvalid] (another key,
// altered, or not a bearer token) or [ErrTokenExpired]; when the token
// authenticated but is expired or would be refused for its contents, the
// info comes with the error. Revocation is not checked: only the running
// app knows of it.
func InspectToken(cfg *Config, token string) (TokenInfo, error) {
	codec, err := envelope.NewCodec(cfg.SecretKey, cfg.PreviousSecretKeys)
	if err != nil {
		return TokenInfo{}, err
	}
	var firstErr error
	for _, b := range []struct {
		p     envelope.Purpose
		claim envelope.TokenKind
		kind  Kind
	}{
		{envelope.PurposeUserToken, envelope.TokenUser, KindUser},
		{envelope.PurposeServiceToken, envelope.TokenService, KindService},
	} {
		// At the zero time nothing has expired yet: expiry is checked
		// below, once the claims can be shown.
		c, err := codec.Open(b.p, token, time.Time{})
		if err != nil {
			// "Malformed" says more than "does not open with this key".
			if firstErr == nil || errors.Is(firstErr, ErrTokenInvalid) && !errors.Is(err, ErrTokenInvalid) {
				firstErr = err
			}
			continue
		}
		info := TokenInfo{
			Kind: b.kind, Subject: c.Subject, Capabilities: c.Capabilities, ID: c.ID,
			IssuedAt: c.IssuedAt, ExpiresAt: c.ExpiresAt,
			Recheck: c.RefreshToken != "", CheckedAt: c.CheckedAt,
		}
		cv, err := claimsOfTokenExtra(c.Extra)
		if err != nil {
			return info, fmt.Errorf("auth: %s: %w: %w", b.p, err, ErrTokenInvalid)
		}
		info.Claims = cv
		if c.Kind != b.claim {
			return info, fmt.Errorf("auth: a %s sealed as a %s token, which the app refuses: %w", c.Kind, b.p, ErrTokenInvalid)
		}
		if !cfg.now().Before(c.ExpiresAt) {
			return info, fmt.Errorf("auth: %s: expired at %s: %w", b.p, c.ExpiresAt.Format(time.RFC3339), ErrTokenExpired)
		}
		return info, nil
	}
	return TokenInfo{}, firstErr
}

// now is cfg's clock.
func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}
