package mockidp

import (
	"crypto"
	"log/slog"
	"time"
)

// Options configures a [Provider]. The zero value is ready to use.
type Options struct {
	// Issuer is the issuer URL, without a trailing slash. Empty: the
	// provider uses the URL it is reached at (scheme and Host of each
	// request) until [Provider.SetIssuer] fixes it; [NewServer] sets it.
	Issuer string
	// Clients are the registered clients. Nil registers only the demo
	// client ([DemoClientID], [DemoClientSecret], any loopback redirect URI).
	Clients map[string]Client
	// Algorithm signs ID and access tokens: "RS256" (default, RSA 2048) or
	// "ES256" (P-256).
	Algorithm string
	// SigningKey, if set, is the first signing key (an *rsa.PrivateKey for
	// RS256, an *ecdsa.PrivateKey for ES256). Nil: a key is generated.
	SigningKey crypto.Signer
	// Interactive shows an HTML login page at authorize instead of logging
	// the default user in at once.
	Interactive bool
	// DefaultEmail is who logs in when nothing else chooses (default
	// "test@example.com", as easy-oauth's mock).
	DefaultEmail string
	// Users are known users: their names, subjects and extra claims are
	// used when they log in, and the login page offers them.
	Users []User
	// UsersFile is a YAML users file ([FileUser]): users with an argon2id
	// password hash sign in with it, and the sign-up page (/signup) adds
	// users to it. A missing file is created by the first sign-up. It
	// implies Interactive.
	UsersFile string
	// Consent shows a consent page listing the requested scopes after
	// login; a grant is remembered per user and client (in the users file
	// for its users) until new scopes are asked.
	Consent bool
	// KeyGrace is how long a rotated-out key stays in the JWKS (default 1h).
	KeyGrace time.Duration
	// CodeTTL is the life of an authorization code (default 60s).
	CodeTTL time.Duration
	// AccessTokenTTL is the life of access tokens (default 1h).
	AccessTokenTTL time.Duration
	// IDTokenTTL is the life of ID tokens (default 1h).
	IDTokenTTL time.Duration
	// RefreshTokenTTL is the life of refresh tokens (default 30 days).
	RefreshTokenTTL time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives one line per request (default: discarded). Tokens
	// and secrets are never logged.
	Logger *slog.Logger
}

// User is a known user.
type User struct {
	Email string
	// Name is the name claim (default: derived from the email's local part).
	Name string
	// Sub is the subject (default: [SubjectFor] the email).
	Sub string
	// Claims are extra ID token and userinfo claims; they may override
	// email_verified and name but not protocol claims such as iss or aud.
	Claims map[string]any
}

func (o Options) withDefaults() Options {
	if o.Clients == nil {
		o.Clients = DemoClients()
	}
	if o.Algorithm == "" {
		o.Algorithm = "RS256"
	}
	if o.UsersFile != "" {
		o.Interactive = true // passwords are typed on the login page
	}
	if o.DefaultEmail == "" {
		o.DefaultEmail = "test@example.com"
	}
	if o.KeyGrace <= 0 {
		o.KeyGrace = time.Hour
	}
	if o.CodeTTL <= 0 {
		o.CodeTTL = 60 * time.Second
	}
	if o.AccessTokenTTL <= 0 {
		o.AccessTokenTTL = time.Hour
	}
	if o.IDTokenTTL <= 0 {
		o.IDTokenTTL = time.Hour
	}
	if o.RefreshTokenTTL <= 0 {
		o.RefreshTokenTTL = 30 * 24 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
