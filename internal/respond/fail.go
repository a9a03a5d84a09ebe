package respond

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// Format is the shape in which [Fail] writes an error.
type Format uint8

const (
	// AsJSON writes `{"detail": msg}` (and "required_scope" for a missing
	// scope): the API routes' shape.
	AsJSON Format = iota
	// AsPage writes a small HTML page: the routes a browser visits.
	AsPage
	// AsNegotiated writes a page for a browser navigation ([WantsHTML])
	// and JSON for anything else: routes that serve both.
	AsNegotiated
	// AsOAuth writes `{"error": code, "error_description": msg}` (RFC 6749
	// §5.2): the token endpoint's shape.
	AsOAuth
)

// Fail answers r with e in the format f, after the headers e calls for:
// the WWW-Authenticate challenge and Retry-After. The private cause is
// logged on logger (server errors at Error level, the rest at Debug); a
// nil logger means the caller logged it already.
func Fail(w http.ResponseWriter, r *http.Request, logger *slog.Logger, e *Error, f Format) {
	if logger != nil {
		logError(r, logger, e)
	}
	h := w.Header()
	if c := challenge(e, f); c != "" {
		h.Set("WWW-Authenticate", c)
	}
	setRetryAfter(h, e.RetryAfter)
	status, msg := e.status(), e.public()
	if f == AsNegotiated {
		f = AsJSON
		if WantsHTML(r) {
			f = AsPage
		}
	}
	switch {
	case f == AsPage:
		writePage(w, status, page{Msg: msg, Links: e.Links})
	case f == AsOAuth:
		JSON(w, status, oauthBody{Error: oauthCode(e), ErrorDescription: msg})
	case e.Code == CodeInsufficientScope:
		JSON(w, status, scopeBody{Detail: msg, RequiredScope: e.Scope})
	default:
		JSON(w, status, detailBody{Detail: msg})
	}
}

type detailBody struct {
	Detail string `json:"detail"`
}

// scopeBody names the scope a refused request needs.
type scopeBody struct {
	Detail        string `json:"detail"`
	RequiredScope string `json:"required_scope"`
}

// oauthBody is an RFC 6749 §5.2 error. OAuth clients read "error", so the
// token endpoint does not use the {"detail"} shape.
type oauthBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// setRetryAfter sets the Retry-After header to d in whole seconds,
// rounded up (at least 1); it does nothing when d is not positive.
func setRetryAfter(h http.Header, d time.Duration) {
	if d <= 0 {
		return
	}
	h.Set("Retry-After", strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
}

// logError records the private cause. It logs the path, never the query,
// which may hold authorization codes or tokens.
func logError(r *http.Request, logger *slog.Logger, e *Error) {
	status := e.status()
	level := slog.LevelDebug
	if status >= 500 {
		level = slog.LevelError
	}
	ctx := context.Background()
	if r != nil {
		ctx = r.Context()
		if ctx.Err() != nil {
			level = slog.LevelDebug // the client went away; not a server fault
		}
	}
	if !logger.Enabled(ctx, level) {
		return
	}
	attrs := []any{"status", status, "err", e}
	if r != nil {
		attrs = append(attrs, "method", r.Method, "path", r.URL.Path)
	}
	logger.Log(ctx, level, "request failed", attrs...)
}
