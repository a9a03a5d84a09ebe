package respond

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestErrorPublicAndPrivate(t *testing.T) {
	t.Parallel()
	cause := fs.ErrNotExist
	err := fmt.Errorf("loading: %w", NewError(http.StatusForbidden, "missing capability", cause))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is through *Error failed")
	}
	var e *Error
	if !errors.As(err, &e) || e.Status != 403 {
		t.Fatalf("errors.As = %v", e)
	}
	if e.status() != 403 || e.public() != "missing capability" {
		t.Errorf("status, public = %d %q", e.status(), e.public())
	}
	if !strings.Contains(e.Error(), "file does not exist") {
		t.Errorf("Error() = %q; want the cause for logs", e.Error())
	}
	for _, tc := range []struct {
		e      *Error
		status int
		msg    string
	}{
		{&Error{}, 500, "Internal Server Error"},
		{&Error{Status: 42}, 500, "Internal Server Error"},
		{&Error{Status: 404}, 404, "Not Found"},
		{&Error{Status: 599}, 599, "error"},
	} {
		if tc.e.status() != tc.status || tc.e.public() != tc.msg {
			t.Errorf("%+v: %d %q; want %d %q", tc.e, tc.e.status(), tc.e.public(), tc.status, tc.msg)
		}
	}
}

func TestFailJSON(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/api?code=SECRETCODE", nil)
	r.Header.Set("Accept", "text/html")
	Fail(w, r, logger, NewError(403, "not yours", errors.New("private cause")), AsJSON)
	if w.Code != 403 {
		t.Errorf("code = %d", w.Code)
	}
	for k, want := range map[string]string{
		"Content-Type":           "application/json",
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "no-store",
		"WWW-Authenticate":       "",
		"Retry-After":            "",
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s = %q; want %q", k, got, want)
		}
	}
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if len(body) != 1 || body["detail"] != "not yours" {
		t.Errorf("body = %v", body)
	}
	if strings.Contains(w.Body.String(), "private") {
		t.Errorf("private cause leaked to client: %s", w.Body)
	}
	if !strings.Contains(logs.String(), "private cause") || strings.Contains(logs.String(), "SECRETCODE") {
		t.Errorf("log = %q; want the cause and not the query", logs.String())
	}
}

// Fail writes each format with the challenge and Retry-After the error
// calls for.
func TestFailFormats(t *testing.T) {
	t.Parallel()
	browser := func() *http.Request {
		r := httptest.NewRequest("GET", "/x", nil)
		r.Header.Set("Accept", "text/html,application/xhtml+xml")
		return r
	}
	api := func() *http.Request { return httptest.NewRequest("POST", "/x", nil) }
	unavailable := &Error{Status: 503, Msg: "the store is unavailable", RetryAfter: 1500 * time.Millisecond}
	tests := []struct {
		name      string
		e         *Error
		f         Format
		r         *http.Request
		body      string // JSON body, or a part of the page
		challenge string
		retry     string
	}{
		{"no credential", &Error{Status: 401, Msg: "not authenticated"}, AsJSON, api(),
			`{"detail":"not authenticated"}`, "Bearer", ""},
		{"bad token", &Error{Status: 401, Msg: "token expired", Code: "invalid_token"}, AsJSON, api(),
			`{"detail":"token expired"}`, `Bearer error="invalid_token", error_description="token expired"`, ""},
		{"missing scope", &Error{Status: 403, Msg: "needs read:a\"b", Code: "insufficient_scope", Scope: `read:a"b`}, AsJSON, api(),
			`{"detail":"needs read:a\"b","required_scope":"read:a\"b"}`,
			`Bearer error="insufficient_scope", error_description="needs read:a\"b", scope="read:a\"b"`, ""},
		{"forbidden", &Error{Status: 403, Msg: "no"}, AsJSON, api(), `{"detail":"no"}`, "", ""},
		{"unavailable", unavailable, AsJSON, api(), `{"detail":"the store is unavailable"}`, "", "2"},
		{"unavailable page", unavailable, AsPage, api(), "<p>the store is unavailable</p>", "", "2"},
		{"negotiated for a browser", unavailable, AsNegotiated, browser(), "<p>the store is unavailable</p>", "", "2"},
		{"negotiated for an API", unavailable, AsNegotiated, api(), `{"detail":"the store is unavailable"}`, "", "2"},
		{"page 401", &Error{Status: 401, Msg: "not authenticated"}, AsPage, browser(), "<p>not authenticated</p>", "Bearer", ""},
		{"oauth unavailable", unavailable, AsOAuth, api(),
			`{"error":"temporarily_unavailable","error_description":"the store is unavailable"}`, "", "2"},
		{"oauth invalid_client", &Error{Status: 401, Msg: "client authentication failed", Code: "invalid_client"}, AsOAuth, api(),
			`{"error":"invalid_client","error_description":"client authentication failed"}`, `Basic realm="oauthgate", charset="UTF-8"`, ""},
		{"oauth internal", &Error{}, AsOAuth, api(),
			`{"error":"server_error","error_description":"Internal Server Error"}`, "", ""},
		{"oauth bad request", &Error{Status: 400, Msg: "grant_type is missing"}, AsOAuth, api(),
			`{"error":"invalid_request","error_description":"grant_type is missing"}`, "", ""},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		Fail(w, tt.r, nil, tt.e, tt.f)
		got := strings.TrimSpace(w.Body.String())
		page := strings.HasPrefix(w.Header().Get("Content-Type"), "text/html")
		if w.Code != tt.e.status() || page != strings.HasPrefix(tt.body, "<") ||
			page && !strings.Contains(got, tt.body) || !page && got != tt.body {
			t.Errorf("%s: %d %s %s; want %d %s", tt.name, w.Code, w.Header().Get("Content-Type"), got, tt.e.status(), tt.body)
		}
		if c := w.Header().Get("WWW-Authenticate"); c != tt.challenge {
			t.Errorf("%s: WWW-Authenticate %q; want %q", tt.name, c, tt.challenge)
		}
		if ra := w.Header().Get("Retry-After"); ra != tt.retry {
			t.Errorf("%s: Retry-After %q; want %q", tt.name, ra, tt.retry)
		}
	}
}

func TestJSONUnencodable(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	JSON(w, 200, map[string]any{"f": func() {}})
	if w.Code != 500 || !strings.Contains(w.Body.String(), `"detail"`) {
		t.Errorf("got %d %s", w.Code, w.Body)
	}
}

func TestPageEscapes(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	Fail(w, httptest.NewRequest("GET", "/auth", nil), slog.New(slog.DiscardHandler),
		NewError(400, `<script>alert("x")</script>`, errors.New("idp said no")), AsPage)
	if w.Code != 400 {
		t.Errorf("code = %d", w.Code)
	}
	body := w.Body.String()
	if strings.Contains(body, "<script>") || !strings.Contains(body, "&lt;script&gt;") {
		t.Errorf("message not escaped: %s", body)
	}
	if strings.Contains(body, "idp said no") {
		t.Errorf("cause leaked: %s", body)
	}
	if !strings.Contains(body, "<title>Bad Request</title>") {
		t.Errorf("title missing: %s", body)
	}
	h := w.Header()
	if h.Get("Content-Type") != "text/html; charset=utf-8" || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("headers = %v", h)
	}
}

func ExampleFail() {
	w := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/shout", nil)
	Fail(w, r, nil, &Error{Status: http.StatusForbidden, Msg: "missing capability: announce"}, AsNegotiated)
	fmt.Print(w.Code, " ", w.Header().Get("Content-Type"), " ", w.Body.String())
	// Output: 403 application/json {"detail":"missing capability: announce"}
}

func TestConfirmPage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ action, want string }{
		{"/logout?next=%2Fme&x=1", `<form method="post" action="/logout?next=%2Fme&amp;x=1"><button type="submit">Go &lt;on&gt;</button></form>`},
		{`javascript:alert(1)`, `action="#ZgotmplZ"`},
		{`/x" onclick="alert(1)`, `action="/x%22%20onclick=%22alert%281%29"`},
	} {
		w := httptest.NewRecorder()
		ConfirmPage(w, http.StatusOK, "Sure?", "msg", tc.action, "Go <on>")
		if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, tc.want) || strings.Count(body, "<form") != 1 {
			t.Errorf("ConfirmPage(%q): %d %s; want %s", tc.action, w.Code, body, tc.want)
		}
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
			t.Errorf("Content-Security-Policy %q", csp)
		}
	}
	// An error page has no form.
	w := httptest.NewRecorder()
	Fail(w, httptest.NewRequest(http.MethodGet, "/", nil), nil, &Error{Status: http.StatusForbidden, Msg: "no"}, AsPage)
	if strings.Contains(w.Body.String(), "<form") {
		t.Errorf("Page has a form: %s", w.Body)
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, ""}, {-time.Second, ""}, {time.Nanosecond, "1"}, {time.Second, "1"},
		{1500 * time.Millisecond, "2"}, {63 * time.Second, "63"},
	} {
		h := http.Header{}
		setRetryAfter(h, tc.d)
		if got := h.Get("Retry-After"); got != tc.want {
			t.Errorf("setRetryAfter(%v) = %q; want %q", tc.d, got, tc.want)
		}
	}
}

// A browser navigation gets a page, anything else JSON.
func TestWantsHTML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, accept string
		page           bool
	}{
		{"GET", "text/html,application/xhtml+xml", true},
		{"HEAD", "text/html", true},
		{"GET", "application/json", false},
		{"GET", "", false},
		{"POST", "text/html", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, "/x", nil)
		if tt.accept != "" {
			r.Header.Set("Accept", tt.accept)
		}
		if got := WantsHTML(r); got != tt.page {
			t.Errorf("%s Accept %q: WantsHTML %v, want %v", tt.method, tt.accept, got, tt.page)
		}
		w := httptest.NewRecorder()
		Fail(w, r, nil, &Error{Status: http.StatusBadRequest, Msg: "bad <path>"}, AsNegotiated)
		ct := w.Header().Get("Content-Type")
		if w.Code != 400 || tt.page != strings.HasPrefix(ct, "text/html") || tt.page == strings.Contains(w.Body.String(), `{"detail":"bad \u003cpath\u003e"}`) {
			t.Errorf("%s Accept %q: %d %s %s", tt.method, tt.accept, w.Code, ct, w.Body)
		}
		if tt.page && !strings.Contains(w.Body.String(), "bad &lt;path&gt;") {
			t.Errorf("page: %s", w.Body)
		}
	}
}
