package auth

import (
	"github.com/oauthgate/oauthgate/auth/internal/envelope"
	"net/http"
)

// startSession writes a fresh session cookie for login (and the offline
// cookie holding the refresh token, for an offline login). A session
// cookie sent with the request is revoked.
func (l *Login) startSession(w http.ResponseWriter, r *http.Request, login verifiedLogin, offline bool, refresh string) error {
	l.revokeRequestSession(r)
	issued, err := issueTime(l.tokens, l.now(), login.email)
	if err != nil {
		return &Error{Status: http.StatusInternalServerError, Msg: "cannot start a session", Err: err}
	}
	d := sessionData{Email: login.email, ID: envelope.NewTokenID(), Issued: issued.Unix(), AuthTime: login.authTime.Unix(),
		Claims: l.claims.keep(login.claims, login.email)}
	if err := l.sess.save(w, r, d); err != nil {
		return &Error{Status: http.StatusInternalServerError, Msg: "cannot start a session", Err: err}
	}
	name := l.side.name("_offline")
	if offline && refresh != "" {
		sealed, err := sealOffline(l.codec, d, refresh)
		if err != nil {
			return &Error{Status: http.StatusInternalServerError, Msg: "cannot start a session", Err: err}
		}
		http.SetCookie(w, l.side.cookie(name, sealed, l.cfg.Prefix+"/token", l.cfg.SessionMaxAge))
	} else if _, ok := cookieValue(r.Header, name); ok {
		http.SetCookie(w, l.side.cookie(name, "", l.cfg.Prefix+"/token", 0))
	}
	return nil
}

// revokeRequestSession revokes the session of the cookie r carries, if
// valid.
func (l *Login) revokeRequestSession(r *http.Request) {
	v, ok := cookieValue(r.Header, l.sess.name)
	if !ok {
		return
	}
	c, err := l.sess.open(v, l.now())
	if err != nil {
		return
	}
	l.cache.drop(false, v)
	if err := l.tokens.Revoke(r.Context(), c.id, c.expiresAt); err != nil {
		l.log.Error("auth: could not revoke the previous session", "email", c.subject, "err", err)
	}
}
