package mockidp

import (
	"net/http"
	"strings"
	"time"
)

// handleRevoke is RFC 7009 token revocation. Revoking a refresh token
// ends its whole session (its access tokens too); revoking an access token
// ends that token. Unknown tokens are answered 200, as §2.2 asks.
func (p *Provider) handleRevoke(w http.ResponseWriter, r *http.Request) {
	params, oerr := readParams(r)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	clientID, _, oerr := p.authenticateClient(r, params)
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	tok := params.Get("token")
	if tok == "" {
		writeOAuthError(w, errInvalidRequest("token is required"))
		return
	}
	notYours := &oauthError{http.StatusBadRequest, "unauthorized_client", "the token was issued to another client"}
	p.mu.Lock()
	if g := p.refresh[tok]; g != nil {
		if g.clientID != clientID {
			p.mu.Unlock()
			writeOAuthError(w, notYours)
			return
		}
		p.revokeFamilyLocked(g.sid)
	} else if g := p.access[tok]; g != nil {
		if g.clientID != clientID {
			p.mu.Unlock()
			writeOAuthError(w, notYours)
			return
		}
		delete(p.access, tok)
	}
	p.mu.Unlock()
	if strings.Count(tok, ".") == 2 {
		if c, _, err := p.verifyAccessJWT(tok); err == nil {
			if c.ClientID != clientID {
				writeOAuthError(w, notYours)
				return
			}
			p.mu.Lock()
			p.revokedJTI[c.ID] = time.Unix(c.Expiry, 0)
			p.noteWriteLocked()
			p.mu.Unlock()
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
}
