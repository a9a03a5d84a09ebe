package authtest

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"testing"
	"unicode/utf8"
)

// Response is an answer of the app, body read. Its methods report a failed
// request (or a client's failed login) to the test given to them.
type Response struct {
	// Method and Path (path and query) of the request.
	Method, Path string
	// Status is the status code of the answer; 0 if the request failed.
	Status int
	Header http.Header
	Body   []byte
	// FinalURL is where a browser's redirects ended, "" without redirect.
	FinalURL string
	// Err is why the request failed (no answer, or the client could not log
	// in), nil otherwise.
	Err error
}

// Expect fails the test at once unless the request got an answer with the
// given status. It returns r, for chaining:
//
//	var v payslip
//	c.Get("/payroll").Expect(t, 200).JSON(t, &v)
func (r *Response) Expect(t testing.TB, status int) *Response {
	t.Helper()
	if err := r.check(status); err != nil {
		t.Fatal(err)
	}
	return r
}

// check returns Expect's failure, or nil.
func (r *Response) check(status int) error {
	if r.Err != nil {
		return fmt.Errorf("%s %s: %v", r.Method, r.Path, r.Err)
	}
	if r.Status != status {
		return fmt.Errorf("%s %s: got %d, want %d%s; body: %s", r.Method, r.Path, r.Status, status, r.redirected(), snippet(r.Body))
	}
	return nil
}

func (r *Response) redirected() string {
	if r.FinalURL == "" {
		return ""
	}
	return " (after redirects, at " + r.FinalURL + ")"
}

// JSON decodes the body into v and fails the test at once if the request
// failed, the answer is not JSON or does not decode into v.
func (r *Response) JSON(t testing.TB, v any) *Response {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.Path, r.Err)
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" && ct != "application/problem+json" {
		t.Fatalf("%s %s: got Content-Type %q, want application/json (status %d); body: %s", r.Method, r.Path, r.Header.Get("Content-Type"), r.Status, snippet(r.Body))
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("%s %s: decoding the body: %v; body: %s", r.Method, r.Path, err, snippet(r.Body))
	}
	return r
}

// Text returns the body as a string; it fails the test at once if the
// request failed.
func (r *Response) Text(t testing.TB) string {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("%s %s: %v", r.Method, r.Path, r.Err)
	}
	return string(r.Body)
}

// Detail returns the "detail" of a JSON error answer ({"detail": "..."}),
// failing the test at once if there is none.
func (r *Response) Detail(t testing.TB) string {
	t.Helper()
	var d struct {
		Detail *string `json:"detail"`
	}
	r.JSON(t, &d)
	if d.Detail == nil {
		t.Fatalf("%s %s: no \"detail\" in the body: %s", r.Method, r.Path, snippet(r.Body))
	}
	return *d.Detail
}

// snippet shows a body in a failure message: at most 2 KiB, and a note
// for binary data.
func snippet(body []byte) string {
	const max = 2 << 10
	if len(body) == 0 {
		return "(empty)"
	}
	if !utf8.Valid(body) {
		return fmt.Sprintf("(%d bytes of binary data)", len(body))
	}
	if len(body) > max {
		return fmt.Sprintf("%s... (%d bytes)", body[:max], len(body))
	}
	return string(body)
}
