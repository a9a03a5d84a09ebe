package auth

import (
	"time"

	"github.com/oauthgate/oauthgate/auth/internal/envelope"
)

// offlineGrant is the content of the offline cookie: the refresh token
// of an offline login, kept until a user token takes it.
type offlineGrant struct {
	email, sessionID, refresh string
	loginTime                 time.Time
}

func sealOffline(codec *envelope.Codec, d sessionData, refresh string) (string, error) {
	b := appendString(nil, d.Email)
	b = appendString(b, d.ID)
	b = appendString(b, refresh)
	b = appendInt(b, d.Issued)
	return codec.SealBytes(envelope.PurposeOffline, b)
}

func openOffline(codec *envelope.Codec, sealed string) (offlineGrant, error) {
	plain, err := codec.OpenBytes(envelope.PurposeOffline, sealed)
	if err != nil {
		return offlineGrant{}, err
	}
	r := newFieldReader(plain)
	g := offlineGrant{email: r.str(), sessionID: r.str(), refresh: r.str()}
	g.loginTime = time.Unix(r.int(), 0).UTC()
	if err := r.done(); err != nil {
		return offlineGrant{}, err
	}
	return g, nil
}
