package confdecode

import (
	"encoding/base64"
	"testing"
	"time"
)

// Vectors of the Fernet spec (github.com/fernet/spec: generate.json,
// verify.json, invalid.json), all with this secret.
const fernetSpecSecret = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="

func fernetSpecKey(t *testing.T) *[32]byte {
	t.Helper()
	b, err := base64.URLEncoding.DecodeString(fernetSpecSecret)
	if err != nil || len(b) != 32 {
		t.Fatal(err)
	}
	return (*[32]byte)(b)
}

func specTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestFernetSpecGenerateAndVerify(t *testing.T) {
	t.Parallel()
	const token = "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=="
	key := fernetSpecKey(t)
	iv := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	if got := fernetEncrypt(key, []byte("hello"), specTime(t, "1985-10-26T01:20:00-07:00"), iv); got != token {
		t.Errorf("generate: got %s\nwant %s", got, token)
	}
	got, err := fernetDecrypt(key, token, 60*time.Second, specTime(t, "1985-10-26T01:20:01-07:00"))
	if err != nil || string(got) != "hello" {
		t.Errorf("verify: %q, %v", got, err)
	}
}

func TestFernetSpecInvalid(t *testing.T) {
	t.Parallel()
	key := fernetSpecKey(t)
	for _, tc := range []struct{ desc, token, now string }{
		{"incorrect mac", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykQUFBQUFBQUFBQQ==", "1985-10-26T01:20:01-07:00"},
		{"too short", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPA==", "1985-10-26T01:20:01-07:00"},
		{"invalid base64", "%%%%%%%%%%%%%AECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q==", "1985-10-26T01:20:01-07:00"},
		{"payload size not multiple of block size", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPOm73QeoCk9uGib28Xe5vz6oxq5nmxbx_v7mrfyudzUm", "1985-10-26T01:20:01-07:00"},
		{"payload padding error", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0ODz4LEpdELGQAad7aNEHbf-JkLPIpuiYRLQ3RtXatOYREu2FWke6CnJNYIbkuKNqOhw==", "1985-10-26T01:20:01-07:00"},
		{"far-future TS (unacceptable clock skew)", "gAAAAAAdwStRAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAnja1xKYyhd-Y6mSkTOyTGJmw2Xc2a6kBd-iX9b_qXQcw==", "1985-10-26T01:20:01-07:00"},
		{"expired TTL", "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q==", "1985-10-26T01:21:31-07:00"},
		{"incorrect IV (causes padding error)", "gAAAAAAdwJ6xBQECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAkLhFLHpGtDBRLRTZeUfWgHSv49TF2AUEZ1TIvcZjK1zQ==", "1985-10-26T01:20:01-07:00"},
		{"trailing characters after b64 padding", "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==trailingdata", "1985-10-26T01:20:01-07:00"},
		{"invalid characters in b64", "*gAAAAAAdwJ6wAAECAwQFBgcI!CQoLDA0ODy021?cpGVWKZ_eEwC@GM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==", "1985-10-26T01:20:01-07:00"},
		{"invalid non-urlsafe characters in b64", "gAAAAAAdwJ6wAAEC/AwQFBgcICQoLDA0ODy+021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==", "1985-10-26T01:20:01-07:00"},
	} {
		if got, err := fernetDecrypt(key, tc.token, 60*time.Second, specTime(t, tc.now)); err == nil {
			t.Errorf("%s: decrypted to %q", tc.desc, got)
		}
	}
	// The "expired TTL" token is otherwise valid: it must decrypt in time.
	if _, err := fernetDecrypt(key, "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q==",
		60*time.Second, specTime(t, "1985-10-26T01:20:01-07:00")); err != nil {
		t.Errorf("valid token refused: %v", err)
	}
}
