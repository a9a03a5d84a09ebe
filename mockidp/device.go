package mockidp

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The device authorization grant (RFC 8628).

const deviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// userCodeAlphabet has no vowels (no words) and no look-alikes (RFC 8628
// §6.1).
const userCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ"

type deviceState int

const (
	devicePending deviceState = iota
	deviceApproved
	deviceDenied
)

type deviceGrant struct {
	clientID string
	scope    string
	userCode string // normalized: 8 letters, no dash
	state    deviceState
	login    login
	authTime time.Time
	expires  time.Time
	interval time.Duration
	lastPoll time.Time
}

// deviceStore holds the pending device codes, by device code and by user
// code.
type deviceStore struct {
	mu     sync.Mutex
	byCode map[string]*deviceGrant
	byUser map[string]string // user code → device code
}

func newDeviceStore() *deviceStore {
	return &deviceStore{byCode: map[string]*deviceGrant{}, byUser: map[string]string{}}
}

func (s *deviceStore) deleteLocked(code string) {
	if g := s.byCode[code]; g != nil {
		delete(s.byUser, g.userCode)
	}
	delete(s.byCode, code)
}

// sweepLocked drops expired grants.
func (s *deviceStore) sweepLocked(now time.Time) {
	for code, g := range s.byCode {
		if now.After(g.expires) {
			s.deleteLocked(code)
		}
	}
}

func newUserCode() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	out := make([]byte, 8)
	for i, x := range b {
		out[i] = userCodeAlphabet[int(x)%len(userCodeAlphabet)] // 256 % 20: a slight bias, fine for a mock
	}
	return string(out)
}

// normalizeUserCode accepts a user code typed in any case, with or without
// the dash and spaces.
func normalizeUserCode(s string) string {
	s = strings.ToUpper(s)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, s)
}

func formatUserCode(c string) string {
	if len(c) != 8 {
		return c
	}
	return c[:4] + "-" + c[4:]
}

func (p *Provider) deviceRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /device_authorization", p.handleDeviceAuthorization)
	m.HandleFunc("GET /device", p.handleDevicePage)
	m.HandleFunc("POST /device", p.handleDeviceForm)
}

// deviceAuthorizationResponse is RFC 8628 §3.2's answer.
type deviceAuthorizationResponse struct {
	DeviceCode              string `json:"device_code"`
	UserCode                string `json:"user_code"`
	VerificationURI         string `json:"verification_uri"`
	VerificationURIComplete string `json:"verification_uri_complete"`
	ExpiresIn               int64  `json:"expires_in"`
	Interval                int64  `json:"interval"`
}

func (p *Provider) handleDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	params, oerr := readParams(r)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	clientID, client, oerr := p.authenticateClient(r, params)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	if !client.allowsGrant(deviceGrantType) {
		writeOAuthError(w, &oauthError{http.StatusBadRequest, "unauthorized_client", "this client is not registered for the device grant"})
		return
	}
	now := p.opts.Now()
	code := randomToken()
	s := p.devices
	s.mu.Lock()
	s.sweepLocked(now)
	user := newUserCode()
	for s.byUser[user] != "" {
		user = newUserCode()
	}
	s.byCode[code] = &deviceGrant{
		clientID: clientID,
		scope:    params.Get("scope"),
		userCode: user,
		expires:  now.Add(p.opts.DeviceCodeTTL),
		interval: p.opts.DevicePollInterval,
	}
	s.byUser[user] = code
	s.mu.Unlock()
	verify := p.issuerFor(r) + "/device"
	writeJSON(w, http.StatusOK, deviceAuthorizationResponse{
		DeviceCode:              code,
		UserCode:                formatUserCode(user),
		VerificationURI:         verify,
		VerificationURIComplete: verify + "?" + url.Values{"user_code": {formatUserCode(user)}}.Encode(),
		ExpiresIn:               int64(p.opts.DeviceCodeTTL / time.Second),
		Interval:                int64((p.opts.DevicePollInterval + time.Second - 1) / time.Second),
	})
}

// grantDeviceCode answers a token poll (RFC 8628 §3.4 and §3.5).
func (p *Provider) grantDeviceCode(r *http.Request, clientID string, params url.Values) (*tokenResponse, *oauthError) {
	code := params.Get("device_code")
	if code == "" {
		return nil, errInvalidRequest("device_code is required")
	}
	now := p.opts.Now()
	s := p.devices
	s.mu.Lock()
	g := s.byCode[code]
	switch {
	case g == nil:
		s.mu.Unlock()
		return nil, errInvalidGrant("unknown device code")
	case g.clientID != clientID:
		s.mu.Unlock()
		return nil, errInvalidGrant("device code was issued to another client")
	case now.After(g.expires):
		s.deleteLocked(code)
		s.mu.Unlock()
		return nil, &oauthError{http.StatusBadRequest, "expired_token", "the device code expired"}
	case g.state == deviceDenied:
		s.deleteLocked(code)
		s.mu.Unlock()
		return nil, &oauthError{http.StatusBadRequest, "access_denied", "the user denied the request"}
	case g.state == devicePending:
		last := g.lastPoll
		g.lastPoll = now
		if !last.IsZero() && now.Sub(last) < g.interval {
			g.interval += 5 * time.Second // RFC 8628 §3.5
			s.mu.Unlock()
			return nil, &oauthError{http.StatusBadRequest, "slow_down", "poll less often"}
		}
		s.mu.Unlock()
		return nil, &oauthError{http.StatusBadRequest, "authorization_pending", "the user has not finished yet"}
	}
	// Approved: the device code is spent.
	s.deleteLocked(code)
	s.mu.Unlock()
	p.mu.Lock()
	if p.deletedLocked(g.login.email) {
		p.mu.Unlock()
		return nil, errInvalidGrant("this user no longer exists")
	}
	sid := p.newFamilyLocked(now)
	p.mu.Unlock()
	return p.issueUserTokens(r, clientID, g.scope, "", g.login, g.authTime, sid, "")
}
