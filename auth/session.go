package auth

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
)

// A browser session is a gorilla/sessions cookie (securecookie: HMAC-SHA256
// then AES-256-CTR, name and time under the MAC) holding only who logged in
// and when, never an identity-provider token. Its keys are derived from
// secret_key by HKDF, apart from the token keys; previous_secret_keys still
// decode.

// Keys of the session values.
const (
	sessEmail    = "email"
	sessID       = "sid"
	sessIssued   = "iat"       // login time, Unix seconds
	sessAuthTime = "auth_time" // the provider's auth_time, Unix seconds
	sessClaims   = "claims"    // claimValues the claim rules read; absent when none
)

// sessionData is a decoded session cookie.
type sessionData struct {
	Email    string
	ID       string
	Issued   int64
	AuthTime int64
	Claims   claimValues
}

// sessionCodec encodes and decodes session cookies.
type sessionCodec struct {
	name   string
	codecs []securecookie.Codec
	store  *sessions.CookieStore
	maxAge time.Duration // the session's life, from login
}

func newSessionCodec(c *Config) (*sessionCodec, error) {
	secrets := append([]string{c.SecretKey}, c.PreviousSecretKeys...)
	sc := &sessionCodec{name: c.Cookie.Name, maxAge: c.SessionMaxAge}
	cookieAge := c.Cookie.MaxAge
	if cookieAge <= 0 || cookieAge > c.SessionMaxAge {
		cookieAge = c.SessionMaxAge
	}
	for _, s := range secrets {
		hashKey, err := hkdf.Key(sha256.New, []byte(s), []byte(envelope.HKDFSalt), "oauthgate session-cookie hash", 32)
		if err != nil {
			return nil, fmt.Errorf("auth: deriving the session keys: %w", err)
		}
		blockKey, err := hkdf.Key(sha256.New, []byte(s), []byte(envelope.HKDFSalt), "oauthgate session-cookie block", 32)
		if err != nil {
			return nil, fmt.Errorf("auth: deriving the session keys: %w", err)
		}
		cc := securecookie.New(hashKey, blockKey)
		cc.SetSerializer(sessionSerializer{})
		cc.MaxAge(int(c.SessionMaxAge / time.Second))
		sc.codecs = append(sc.codecs, cc)
	}
	sc.store = &sessions.CookieStore{Codecs: sc.codecs, Options: &sessions.Options{
		Path:     "/",
		Domain:   c.Cookie.Domain,
		MaxAge:   int(cookieAge / time.Second),
		Secure:   c.cookieSecure(),
		HttpOnly: true,
		SameSite: sameSite(c.Cookie.SameSite),
	}}
	return sc, nil
}

func sameSite(s string) http.SameSite {
	switch strings.ToLower(s) {
	case "strict":
		return http.SameSiteStrictMode
	case "none":
		return http.SameSiteNoneMode
	}
	return http.SameSiteLaxMode
}

// decode opens a session cookie value.
func (sc *sessionCodec) decode(value string) (sessionData, error) {
	var d sessionData
	if err := securecookie.DecodeMulti(sc.name, value, &d, sc.codecs...); err != nil {
		return sessionData{}, err
	}
	return d, nil
}

// save writes a new session cookie for d.
func (sc *sessionCodec) save(w http.ResponseWriter, r *http.Request, d sessionData) error {
	s := sessions.NewSession(sc.store, sc.name)
	opts := *sc.store.Options
	s.Options = &opts
	s.IsNew = true
	s.Values[sessEmail] = d.Email
	s.Values[sessID] = d.ID
	s.Values[sessIssued] = d.Issued
	s.Values[sessAuthTime] = d.AuthTime
	if len(d.Claims) > 0 {
		s.Values[sessClaims] = d.Claims
	}
	return sc.store.Save(r, w, s)
}

// clear expires the session cookie.
func (sc *sessionCodec) clear(w http.ResponseWriter) {
	opts := *sc.store.Options
	opts.MaxAge = -1
	http.SetCookie(w, sessions.NewCookie(sc.name, "", &opts))
}

// open decodes and checks a session cookie value.
func (sc *sessionCodec) open(v string, now time.Time) (credential, error) {
	d, err := sc.decode(v)
	if err != nil {
		return credential{}, fmt.Errorf("auth: session cookie: %w", err)
	}
	issued := time.Unix(d.Issued, 0).UTC()
	c := credential{kind: envelope.TokenSession, subject: d.Email, id: d.ID, issuedAt: issued, expiresAt: issued.Add(sc.maxAge), claims: d.Claims}
	switch {
	case d.Email == "" || d.ID == "":
		return credential{}, errors.New("auth: session cookie without email or id")
	case !now.Before(c.expiresAt):
		return credential{}, fmt.Errorf("auth: session of %s expired: %w", d.Email, ErrTokenExpired)
	case issued.After(now.Add(maxClockSkew)):
		return credential{}, errors.New("auth: session issued in the future")
	}
	return c, nil
}

// sessionSerializer is a compact securecookie.Serializer for the session
// values (gob, the default, costs tens of microseconds per decode). It
// encodes gorilla's map[any]any holding exactly the keys above, and decodes
// into a *sessionData or such a map.
type sessionSerializer struct{}

// Format 1 holds no claims; format 2 adds them (a login with claims
// that claim rules read).
const (
	sessionFormat       = 1
	sessionFormatClaims = 2
)

var errSessionValues = errors.New("auth: session values are not a session")

func (sessionSerializer) Serialize(src any) ([]byte, error) {
	var d sessionData
	switch v := src.(type) {
	case map[any]any:
		var ok1, ok2, ok3, ok4 bool
		d.Email, ok1 = v[sessEmail].(string)
		d.ID, ok2 = v[sessID].(string)
		d.Issued, ok3 = v[sessIssued].(int64)
		d.AuthTime, ok4 = v[sessAuthTime].(int64)
		n := 4
		if cv, ok := v[sessClaims]; ok {
			d.Claims, ok = cv.(claimValues)
			if !ok {
				return nil, errSessionValues
			}
			n++
		}
		if !ok1 || !ok2 || !ok3 || !ok4 || len(v) != n {
			return nil, errSessionValues
		}
	case *sessionData:
		d = *v
	default:
		return nil, errSessionValues
	}
	b := make([]byte, 0, 1+len(d.Email)+len(d.ID)+2+16+d.Claims.size()+8)
	if len(d.Claims) == 0 {
		b = append(b, sessionFormat)
	} else {
		b = append(b, sessionFormatClaims)
	}
	b = appendString(b, d.Email)
	b = appendString(b, d.ID)
	b = binary.BigEndian.AppendUint64(b, uint64(d.Issued))
	b = binary.BigEndian.AppendUint64(b, uint64(d.AuthTime))
	if len(d.Claims) > 0 {
		b = appendClaims(b, d.Claims)
	}
	return b, nil
}

func (sessionSerializer) Deserialize(src []byte, dst any) error {
	if len(src) == 0 || src[0] != sessionFormat && src[0] != sessionFormatClaims {
		return errSessionValues
	}
	r := fieldReader{b: src[1:]}
	d := sessionData{Email: r.str(), ID: r.str(), Issued: r.int(), AuthTime: r.int()}
	if src[0] == sessionFormatClaims {
		if d.Claims = readClaims(&r); len(d.Claims) == 0 {
			r.fail() // format 2 holds claims
		}
	}
	if err := r.done(); err != nil {
		return err
	}
	switch v := dst.(type) {
	case *sessionData:
		*v = d
	case *map[any]any:
		if *v == nil {
			*v = map[any]any{}
		}
		(*v)[sessEmail], (*v)[sessID], (*v)[sessIssued], (*v)[sessAuthTime] = d.Email, d.ID, d.Issued, d.AuthTime
		if len(d.Claims) > 0 {
			(*v)[sessClaims] = d.Claims
		}
	default:
		return errSessionValues
	}
	return nil
}

// cookieValue returns the value of the first cookie called name in the
// Cookie headers, without allocating (net/http's parser builds every
// cookie of the request).
func cookieValue(h http.Header, name string) (string, bool) {
	for _, line := range h["Cookie"] {
		for len(line) > 0 {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.Trim(part, " \t")
			if len(part) > len(name) && part[len(name)] == '=' && part[:len(name)] == name {
				v := part[len(name)+1:]
				if len(v) > 1 && v[0] == '"' && v[len(v)-1] == '"' {
					v = v[1 : len(v)-1]
				}
				return v, v != ""
			}
		}
	}
	return "", false
}
