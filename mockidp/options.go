package mockidp

import (
	"crypto"
	"log/slog"
	"maps"
	"slices"
	"time"
)

// Options configures a [Provider]. The zero value is ready to use.
type Options struct {
	// Mode is the protocol the provider speaks (default [ModeOIDC]); see
	// the package documentation's "Modes".
	Mode Mode
	// Issuer is the issuer URL, without a trailing slash. Empty: the
	// provider uses the URL it is reached at (scheme and Host of each
	// request) until [Provider.SetIssuer] fixes it; [NewServer] sets it.
	// In the github and oauth2 modes it is the base URL of the endpoints;
	// in the microsoft mode, the base of the per-tenant issuers
	// ({Issuer}/{tid}/v2.0).
	Issuer string
	// Clients are the registered clients. Nil registers only the demo
	// client ([DemoClientID], [DemoClientSecret], any loopback redirect URI).
	Clients map[string]Client
	// Registration turns on RFC 7591 dynamic client registration at
	// /register (and RFC 7592 management at /register/{client_id}), with
	// a browser page at GET /register.
	Registration bool
	// ClientsFile, if set, receives every client (the given ones and the
	// registered ones) in the [LoadClients] format, written atomically after
	// each registration, update or deletion.
	ClientsFile string
	// DeviceCodeTTL is the life of an RFC 8628 device code (default 10m).
	DeviceCodeTTL time.Duration
	// DevicePollInterval is the least time between token polls of a device
	// code (default 5s); a faster poll gets slow_down.
	DevicePollInterval time.Duration
	// Algorithm signs ID and access tokens: "RS256" (RSA 2048), "ES256"
	// (P-256) or "EdDSA" (Ed25519). Default: that of SigningKey, else RS256.
	Algorithm string
	// SigningKey, if set, is the first signing key (an *rsa.PrivateKey of
	// at least 2048 bits for RS256, a P-256 *ecdsa.PrivateKey for ES256,
	// an ed25519.PrivateKey for EdDSA). Nil: a key is generated. Keys made
	// by RotateKeys are generated with the same algorithm.
	SigningKey crypto.Signer
	// JWTAccessTokens makes the code flow's access tokens RFC 9068 JWTs
	// (typ at+jwt) signed like ID tokens, with aud the client ID or the
	// resource (RFC 8707) or audience parameter of the authorization or
	// token request. Default: opaque access tokens.
	JWTAccessTokens bool
	// CORSAnyOrigin lets a page from any http or https origin call the
	// token, userinfo, revocation, discovery and JWKS endpoints. Default:
	// only the origins of registered redirect URIs (any loopback origin
	// for a client without redirect URIs), as cors.go says.
	CORSAnyOrigin bool
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
	// In the oauth2 mode they go into the user-info answer's profile.
	Claims map[string]any
	// GitHub is the user's account in the github mode, Microsoft in the
	// microsoft mode; nil takes the defaults derived from the email.
	GitHub    *GitHubAccount
	Microsoft *MicrosoftAccount
}

// clone copies u deeply enough that the provider's copy does not change
// with the caller's.
func (u User) clone() User {
	u.Claims = maps.Clone(u.Claims)
	if u.GitHub != nil {
		gh := *u.GitHub
		gh.Orgs, gh.Teams, gh.Emails = slices.Clone(gh.Orgs), slices.Clone(gh.Teams), slices.Clone(gh.Emails)
		u.GitHub = &gh
	}
	if u.Microsoft != nil {
		ms := *u.Microsoft
		u.Microsoft = &ms
	}
	return u
}

func (o Options) withDefaults() Options {
	if o.Mode == "" {
		o.Mode = ModeOIDC
	}
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
	if o.DeviceCodeTTL <= 0 {
		o.DeviceCodeTTL = 10 * time.Minute
	}
	if o.DevicePollInterval <= 0 {
		o.DevicePollInterval = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}
