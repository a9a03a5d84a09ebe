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
	if !errors.As(err, &e) || e.Code != 403 {
		t.Fatalf("errors.As = %v", e)
	}
	code, msg := Public(err)
	if code != 403 || msg != "missing capability" {
		t.Errorf("Public = %d %q", code, msg)
	}
	if !strings.Contains(e.Error(), "file does not exist") {
		t.Errorf("Error() = %q; want the cause for logs", e.Error())
	}
	code, msg = Public(errors.New("db password is hunter2"))
	if code != 500 || msg != "Internal Server Error" {
		t.Errorf("Public(plain) = %d %q", code, msg)
	}
	code, msg = Public(&Error{})
	if code != 500 || msg != "Internal Server Error" {
		t.Errorf("Public(zero) = %d %q", code, msg)
	}
	code, msg = Public(&Error{Code: 404})
	if code != 404 || msg != "Not Found" {
		t.Errorf("Public(404) = %d %q", code, msg)
	}
}

func TestJSONError(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/api?code=SECRETCODE", nil)
	JSONError(w, r, logger, NewError(401, "not logged in", errors.New("private cause")))
	if w.Code != 401 {
		t.Errorf("code = %d", w.Code)
	}
	for k, want := range map[string]string{
		"Content-Type":           "application/json",
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "no-store",
	} {
		if got := w.Header().Get(k); got != want {
			t.Errorf("%s = %q; want %q", k, got, want)
		}
	}
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if len(body) != 1 || body["detail"] != "not logged in" {
		t.Errorf("body = %v", body)
	}
	if strings.Contains(w.Body.String(), "private") {
		t.Errorf("private cause leaked to client: %s", w.Body)
	}
	if !strings.Contains(logs.String(), "private cause") || strings.Contains(logs.String(), "SECRETCODE") {
		t.Errorf("log = %q; want the cause and not the query", logs.String())
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
	PageError(w, httptest.NewRequest("GET", "/auth", nil), slog.New(slog.DiscardHandler),
		NewError(400, `<script>alert("x")</script>`, errors.New("idp said no")))
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

func ExampleDetail() {
	w := httptest.NewRecorder()
	Detail(w, http.StatusForbidden, "missing capability: announce")
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
	Page(w, http.StatusForbidden, "", "no")
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
		SetRetryAfter(h, tc.d)
		if got := h.Get("Retry-After"); got != tc.want {
			t.Errorf("SetRetryAfter(%v) = %q; want %q", tc.d, got, tc.want)
		}
	}
	logger := slog.New(slog.DiscardHandler)
	err := fmt.Errorf("wrapped: %w", &Error{Code: http.StatusTooManyRequests, Msg: "slow down", RetryAfter: 30 * time.Second})
	for name, write := range map[string]func(http.ResponseWriter, *http.Request){
		"page": func(w http.ResponseWriter, r *http.Request) { PageError(w, r, logger, err) },
		"json": func(w http.ResponseWriter, r *http.Request) { JSONError(w, r, logger, err) },
	} {
		rec := httptest.NewRecorder()
		write(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		if rec.Code != 429 || rec.Header().Get("Retry-After") != "30" {
			t.Errorf("%s: %d Retry-After %q", name, rec.Code, rec.Header().Get("Retry-After"))
		}
	}
}

// A browser navigation gets a page, anything else JSON.
func TestRefuse(t *testing.T) {
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
		Refuse(w, r, http.StatusBadRequest, "bad <path>")
		ct := w.Header().Get("Content-Type")
		if w.Code != 400 || tt.page != strings.HasPrefix(ct, "text/html") || tt.page == strings.Contains(w.Body.String(), `{"detail":"bad \u003cpath\u003e"}`) {
			t.Errorf("%s Accept %q: %d %s %s", tt.method, tt.accept, w.Code, ct, w.Body)
		}
		if tt.page && !strings.Contains(w.Body.String(), "bad &lt;path&gt;") {
			t.Errorf("page: %s", w.Body)
		}
	}
}
