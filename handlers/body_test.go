package handlers

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/internal/respond"
)

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, ctype, body string
		code              int
		detail            string
	}{
		{"ok", "application/json", `{"email":"a@b","capability":"x"}`, 0, ""},
		{"charset", "application/json; charset=utf-8", `{"email":"a@b"}`, 0, ""},
		{"no content type", "", `{"email":"a@b"}`, 415, ""},
		{"form", "application/x-www-form-urlencoded", `email=a@b`, 415, ""},
		{"empty", "application/json", ``, 400, "empty"},
		{"spaces", "application/json", "  \n", 400, "empty"},
		{"not an object", "application/json", `[1]`, 400, "must be a JSON object"},
		{"string", "application/json", `"x"`, 400, "must be a JSON object"},
		{"wrong type", "application/json", `{"email":1}`, 400, `field "email" must be a string`},
		{"wrong element", "application/json", `{"capabilities":[1]}`, 400, `field "capabilities" must be a list of strings`},
		{"list for string", "application/json", `{"capability":["x"]}`, 400, `field "capability" must be a string`},
		{"unknown field", "application/json", `{"emial":"a@b"}`, 400, `unknown field "emial"`},
		{"other case", "application/json", `{"Email":"a@b"}`, 400, `unknown field "Email"`},
		{"repeated", "application/json", `{"email":"a@b","email":"c@d"}`, 400, `"email" appears more than once`},
		{"repeated other case", "application/json", `{"capability":"x","CAPABILITY":"y"}`, 400, `unknown field "CAPABILITY"`},
		{"bad UTF-8", "application/json", "{\"email\":\"a\xff@b\"}", 400, "UTF-8"},
		{"truncated", "application/json", `{"email":"a@b"`, 400, "not valid JSON"},
		{"syntax", "application/json", `{"email":}`, 400, "not valid JSON"},
		{"trailing", "application/json", `{"email":"a@b"}{}`, 400, "nothing after"},
		{"trailing garbage", "application/json", `{"email":"a@b"} x`, 400, "nothing after"},
		{"too large", "application/json", `{"email":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, 413, "64 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest("POST", "/x", strings.NewReader(tc.body))
			if tc.ctype != "" {
				r.Header.Set("Content-Type", tc.ctype)
			}
			var dst changeRequest
			err := decodeJSON(httptest.NewRecorder(), r, &dst)
			if tc.code == 0 {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var e *respond.Error
			if !errors.As(err, &e) || e.Status != tc.code || !strings.Contains(e.Msg, tc.detail) {
				t.Fatalf("err = %v; want %d %q", err, tc.code, tc.detail)
			}
		})
	}
}

// TestDecodeJSONStreamedTooLarge sends a body of unknown length, which
// only MaxBytesReader can stop.
func TestDecodeJSONStreamedTooLarge(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("POST", "/x", strings.NewReader(`{"email":"`+strings.Repeat("a", 2*MaxBodyBytes)+`"}`))
	r.ContentLength = -1
	r.Header.Set("Content-Type", "application/json")
	var dst changeRequest
	err := decodeJSON(httptest.NewRecorder(), r, &dst)
	var e *respond.Error
	if !errors.As(err, &e) || e.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("err = %v; want 413", err)
	}
}

// FuzzDecodeJSON: any body gives a value or a 4xx, never a panic or 500.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"email":"a@b","capability":"x"}`, `{"capabilities":["a",1]}`, `[]`, `{`, `{"all":true}`, `null`, `{"email":"\u0000"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/x", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var dst changeRequest
		err := decodeJSON(httptest.NewRecorder(), r, &dst)
		if err == nil {
			if _, err := dst.names(); err != nil {
				if code := auth.ErrorOf(err).Status; code != 400 {
					t.Fatalf("names: %v", err)
				}
			}
			return
		}
		if code := auth.ErrorOf(err).Status; code < 400 || code >= 500 {
			t.Fatalf("status %d for %q: %v", code, body, err)
		}
	})
}
