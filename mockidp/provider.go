package mockidp

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/oauthgate/oauthgate/internal/emailaddr"
)

// maxBodyBytes bounds every request body.
const maxBodyBytes = 64 << 10

// Provider is the identity provider: an http.Handler, safe for concurrent
// use. Create it with [New].
type Provider struct {
	opts      Options
	clients   map[string]Client // guarded by clientsMu
	clientsMu sync.RWMutex
	devices   *deviceStore
	users     map[string]User // by emailaddr.Normalize of the email
	edited    *editedUsers    // SetUser
	accts     *accounts       // users file and remembered consents
	pending   *pendingConsents
	keys      *keyRing
	mux       *http.ServeMux
	latency   atomic.Int64 // nanoseconds

	issuerMu sync.RWMutex
	issuer   string

	mu          sync.Mutex
	email       string
	nextLogins  []login
	deleted     map[string]bool           // refused emails, by emailaddr.Normalize
	userClaims  map[string]map[string]any // SetUserClaims, by emailaddr.Normalize
	faults      []Fault
	codes       map[string]*authCode
	usedCodes   map[string]usedCode
	refresh     map[string]*refreshGrant
	access      map[string]*accessGrant
	revokedJTI  map[string]time.Time // JWT access token id → its expiry
	families    map[string]*family   // sid → login session
	requests    []RecordedRequest
	requestHead int
	writes      int
}

// login is who logs in and with which extra claims.
type login struct {
	email  string
	name   string
	sub    string
	claims map[string]any
	gh     *GitHubAccount    // github mode; nil: the defaults of the email
	ms     *MicrosoftAccount // microsoft mode; nil: the defaults
}

// family is one login session: the codes, access and refresh tokens that
// descend from one authentication share it, and are revoked together.
type family struct {
	revoked bool
	expires time.Time
}

type authCode struct {
	clientID      string
	redirectURI   string
	redirectGiven bool
	challenge     string
	nonce         string
	scope         string
	login         login
	authTime      time.Time
	sid           string
	expires       time.Time
	audience      string // resource or audience of the request (jwtaccess.go)
}

type usedCode struct {
	sid     string
	expires time.Time
}

type refreshGrant struct {
	clientID string
	scope    string
	nonce    string
	login    login
	authTime time.Time
	sid      string
	used     bool
	expires  time.Time
	audience string // the authorization's resource or audience
}

type accessGrant struct {
	clientID string
	scope    string
	login    login
	sid      string
	expires  time.Time
	// emailFault is the email fault of the modes without ID tokens
	// (email_unverified, missing_email): it shows in this token's answers.
	emailFault Fault
}

// New returns a provider. It fails only on a bad option (an unknown
// algorithm, a bad client, a signing key of the wrong type).
func New(opts Options) (*Provider, error) {
	if opts.Algorithm == "" && opts.SigningKey != nil {
		opts.Algorithm = string(keyAlgorithm(opts.SigningKey)) // "" falls back to RS256, refused below
	}
	opts = opts.withDefaults()
	if err := checkModeOptions(opts); err != nil {
		return nil, err
	}
	alg, err := parseAlgorithm(opts.Algorithm)
	if err != nil {
		return nil, err
	}
	for id, c := range opts.Clients {
		if err := c.validate(id); err != nil {
			return nil, err
		}
	}
	keys, err := newKeyRing(alg, opts.SigningKey, opts.KeyGrace, opts.Now)
	if err != nil {
		return nil, err
	}
	p := &Provider{
		opts:       opts,
		clients:    make(map[string]Client, len(opts.Clients)),
		users:      make(map[string]User, len(opts.Users)),
		keys:       keys,
		email:      opts.DefaultEmail,
		deleted:    map[string]bool{},
		userClaims: map[string]map[string]any{},
		codes:      map[string]*authCode{},
		usedCodes:  map[string]usedCode{},
		refresh:    map[string]*refreshGrant{},
		access:     map[string]*accessGrant{},
		revokedJTI: map[string]time.Time{},
		families:   map[string]*family{},
		devices:    newDeviceStore(),
		edited:     &editedUsers{m: map[string]User{}},
	}
	for id, c := range opts.Clients {
		p.clients[id] = c
	}
	if p.accts, err = newAccounts(opts.UsersFile); err != nil {
		return nil, err
	}
	p.pending = &pendingConsents{m: map[string]*pendingConsent{}}
	for i, u := range opts.Users {
		if u.Email == "" {
			return nil, errors.New("mockidp: a known user needs an email")
		}
		if key, reason := validateUser(fmt.Sprintf("Users[%d].", i), u.GitHub, u.Microsoft); reason != "" {
			return nil, fmt.Errorf("mockidp: %s: %s", key, reason)
		}
		p.users[emailaddr.Normalize(u.Email)] = u.clone()
	}
	if opts.Issuer != "" {
		if err := p.SetIssuer(opts.Issuer); err != nil {
			return nil, err
		}
	}
	p.routes()
	return p, nil
}

// ServeHTTP serves the provider's endpoints.
func (p *Provider) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	}
	if !strings.HasPrefix(r.URL.Path, "/control/") && r.URL.Path != "/health" {
		if d := time.Duration(p.latency.Load()); d > 0 && !sleepCtx(r.Context(), d) {
			return
		}
	}
	p.record(r)
	p.opts.Logger.LogAttrs(r.Context(), slog.LevelDebug, "mockidp request",
		slog.String("method", r.Method), slog.String("path", r.URL.Path))
	if p.serveCORS(w, r) {
		return
	}
	p.mux.ServeHTTP(w, r)
}

// SetIssuer fixes the issuer URL (trailing slashes are removed).
func (p *Provider) SetIssuer(issuer string) error {
	issuer = strings.TrimRight(issuer, "/")
	if !strings.HasPrefix(issuer, "http://") && !strings.HasPrefix(issuer, "https://") {
		return fmt.Errorf("mockidp: issuer %q must be an http or https URL", issuer)
	}
	p.issuerMu.Lock()
	p.issuer = issuer
	p.issuerMu.Unlock()
	return nil
}

// Issuer returns the issuer URL, or "" while it is taken from requests.
func (p *Provider) Issuer() string {
	p.issuerMu.RLock()
	defer p.issuerMu.RUnlock()
	return p.issuer
}

// issuerFor returns the issuer, derived from the request if none is set.
func (p *Provider) issuerFor(r *http.Request) string {
	if iss := p.Issuer(); iss != "" {
		return iss
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// SetEmail sets who logs in when nothing else chooses.
func (p *Provider) SetEmail(email string) error {
	if err := checkEmail(email); err != nil {
		return err
	}
	p.mu.Lock()
	p.email = email
	p.mu.Unlock()
	return nil
}

// Email returns who logs in when nothing else chooses.
func (p *Provider) Email() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.email
}

// NextLogin queues a one-shot login: the next authorize request logs this
// email in, with these extra claims, whatever its login_hint or the
// interactive mode say. Several calls queue in order.
func (p *Provider) NextLogin(email string, extraClaims map[string]any) error {
	if err := checkEmail(email); err != nil {
		return err
	}
	p.mu.Lock()
	p.nextLogins = append(p.nextLogins, login{email: email, claims: extraClaims})
	p.mu.Unlock()
	return nil
}

// FailNext injects a fault into the next answer of its kind.
func (p *Provider) FailNext(f Fault) error { return p.FailNextN(f, 1) }

// FailNextN injects a fault into the next n answers of its kind.
func (p *Provider) FailNextN(f Fault, n int) error {
	if !f.Valid() {
		return fmt.Errorf("mockidp: unknown fault %q", f)
	}
	if !p.opts.Mode.faultApplies(f) {
		return fmt.Errorf("mockidp: fault %q does not apply in mode %s (it has no ID tokens)", f, p.opts.Mode)
	}
	if n < 1 || n > 10000 {
		return fmt.Errorf("mockidp: fault count %d out of range 1..10000", n)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for range n {
		p.faults = append(p.faults, f)
	}
	return nil
}

// ClearFaults drops every pending fault.
func (p *Provider) ClearFaults() {
	p.mu.Lock()
	p.faults = nil
	p.mu.Unlock()
}

// takeFault removes and returns the first pending fault of a kind.
func (p *Provider) takeFault(k faultKind) Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, f := range p.faults {
		if f.kind() == k {
			p.faults = append(p.faults[:i], p.faults[i+1:]...)
			return f
		}
	}
	return ""
}

// SetLatency delays every protocol request (not /health nor /control/*).
func (p *Provider) SetLatency(d time.Duration) {
	if d < 0 {
		d = 0
	}
	p.latency.Store(int64(d))
}

// RotateKeys makes a new signing key current and returns its kid; the old
// key stays in the JWKS for [Options.KeyGrace].
func (p *Provider) RotateKeys() (string, error) { return p.keys.rotate() }

// KeyID returns the kid of the current signing key.
func (p *Provider) KeyID() string { return p.keys.currentKey().kid }

// DeleteUser marks an email as no longer accepted: its logins are denied
// (error=access_denied), its refresh tokens fail with invalid_grant and its
// access tokens are refused by userinfo.
func (p *Provider) DeleteUser(email string) {
	p.mu.Lock()
	p.deleted[emailaddr.Normalize(email)] = true
	p.mu.Unlock()
}

// RestoreUser undoes [Provider.DeleteUser].
func (p *Provider) RestoreUser(email string) {
	p.mu.Lock()
	delete(p.deleted, emailaddr.Normalize(email))
	p.mu.Unlock()
}

func (p *Provider) deletedLocked(email string) bool { return p.deleted[emailaddr.Normalize(email)] }

// SetUserClaims changes the extra claims of email, as an administrator
// editing the user at a real provider would: every ID token issued for it
// from now on, at a new login or a refresh of an earlier one, carries
// exactly these claims in place of the known user's and the login's own.
// A nil map undoes it (earlier logins keep the claims they had).
func (p *Provider) SetUserClaims(email string, claims map[string]any) error {
	if err := checkEmail(email); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if claims == nil {
		delete(p.userClaims, emailaddr.Normalize(email))
		return nil
	}
	p.userClaims[emailaddr.Normalize(email)] = maps.Clone(claims)
	return nil
}

// currentClaimsLocked applies [Provider.SetUser] and
// [Provider.SetUserClaims] to l.
func (p *Provider) currentClaimsLocked(l login) login {
	l = p.editedLogin(l)
	if c, ok := p.userClaims[emailaddr.Normalize(l.email)]; ok {
		l.claims = c
	}
	return l
}

// SubjectFor is the sub of an email that no known user overrides: stable
// across providers and restarts, the same whatever the case of the email's
// ASCII letters (emails compare as the gateway compares them).
func SubjectFor(email string) string {
	sum := sha256.Sum256([]byte("mockidp-sub:" + emailaddr.Normalize(email)))
	return hex.EncodeToString(sum[:16])
}

// resolve fills in the name, subject and known-user claims of a login.
func (p *Provider) resolve(l login) login {
	u, known := p.knownUser(l.email)
	if l.sub == "" {
		l.sub = u.Sub
	}
	if l.sub == "" {
		l.sub = SubjectFor(l.email)
	}
	if l.name == "" {
		l.name = u.Name
	}
	if l.name == "" {
		l.name = nameFromEmail(l.email)
	}
	if l.gh == nil {
		l.gh = u.GitHub
	}
	if l.ms == nil {
		l.ms = u.Microsoft
	}
	if known && len(u.Claims) > 0 {
		merged := make(map[string]any, len(u.Claims)+len(l.claims))
		for k, v := range u.Claims {
			merged[k] = v
		}
		for k, v := range l.claims {
			merged[k] = v
		}
		l.claims = merged
	}
	return l
}

func nameFromEmail(email string) string {
	local, _, _ := strings.Cut(email, "@")
	words := strings.FieldsFunc(local, func(r rune) bool { return r == '.' || r == '_' || r == '-' || r == '+' })
	for i, w := range words {
		rs := []rune(w)
		rs[0] = unicode.ToUpper(rs[0])
		words[i] = string(rs)
	}
	if len(words) == 0 {
		return email
	}
	return strings.Join(words, " ")
}

// checkEmail accepts any short printable string with an '@', so tests can
// also log in odd addresses the relying party must refuse.
func checkEmail(email string) error {
	if email == "" || len(email) > 320 || !strings.Contains(email, "@") {
		return fmt.Errorf("mockidp: bad email %q: want a non-empty address with '@', at most 320 bytes", email)
	}
	for _, r := range email {
		if unicode.IsControl(r) || r == ' ' {
			return fmt.Errorf("mockidp: bad email %q: control character or space", email)
		}
	}
	return nil
}

// randomToken returns 32 random bytes, base64url-encoded.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	return base64.RawURLEncoding.EncodeToString(b)
}

// noteWriteLocked sweeps expired state every 512 writes, so a long-running
// provider does not grow without bound.
func (p *Provider) noteWriteLocked() {
	p.writes++
	if p.writes%512 != 0 {
		return
	}
	now := p.opts.Now()
	for k, c := range p.codes {
		if now.After(c.expires) {
			delete(p.codes, k)
		}
	}
	for k, c := range p.usedCodes {
		if now.After(c.expires) {
			delete(p.usedCodes, k)
		}
	}
	for k, g := range p.refresh {
		if now.After(g.expires) {
			delete(p.refresh, k)
		}
	}
	for k, g := range p.access {
		if now.After(g.expires) {
			delete(p.access, k)
		}
	}
	for k, exp := range p.revokedJTI {
		if now.After(exp) {
			delete(p.revokedJTI, k)
		}
	}
	for k, f := range p.families {
		if now.After(f.expires) {
			delete(p.families, k)
		}
	}
}

// newFamilyLocked starts a login session that lives as long as its
// longest-lived token may.
func (p *Provider) newFamilyLocked(now time.Time) string {
	sid := randomToken()
	p.families[sid] = &family{expires: now.Add(p.opts.RefreshTokenTTL + p.opts.CodeTTL)}
	return sid
}

// familyRevokedLocked is true for a revoked or forgotten session.
func (p *Provider) familyRevokedLocked(sid string) bool {
	f := p.families[sid]
	return f == nil || f.revoked
}

func (p *Provider) revokeFamilyLocked(sid string) {
	if f := p.families[sid]; f != nil {
		f.revoked = true
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
