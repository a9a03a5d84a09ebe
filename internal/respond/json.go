package respond

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
)

// JSON writes v as a JSON body with the given status. It sets
// Content-Type: application/json, X-Content-Type-Options: nosniff and
// Cache-Control: no-store (responses of an auth gateway carry tokens or
// per-user data). A value that cannot be encoded becomes a 500 detail.
func JSON(w http.ResponseWriter, code int, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		slog.Error("respond: encoding JSON response", "err", err)
		buf.Reset()
		code = http.StatusInternalServerError
		buf.WriteString(`{"detail":"Internal Server Error"}` + "\n")
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// Detail writes the error body `{"detail": msg}` with the given status.
func Detail(w http.ResponseWriter, code int, msg string) {
	JSON(w, code, detailBody{Detail: msg})
}

type detailBody struct {
	Detail string `json:"detail"`
}

// JSONError writes err as `{"detail": msg}` using [Public], and logs the
// error (cause included) on logger; a nil logger means slog.Default().
// Server errors (5xx) are logged at Error level, client errors at Debug.
func JSONError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	code, msg := Public(err)
	logError(r, logger, code, err)
	retryAfter(w.Header(), err)
	Detail(w, code, msg)
}

// logError records the private cause. It logs the path, never the query,
// which may hold authorization codes or tokens.
func logError(r *http.Request, logger *slog.Logger, code int, err error) {
	if logger == nil {
		logger = slog.Default()
	}
	level := slog.LevelDebug
	if code >= 500 {
		level = slog.LevelError
	}
	attrs := []any{"status", code, "err", err}
	ctx := context.Background()
	if r != nil {
		ctx = r.Context()
		attrs = append(attrs, "method", r.Method, "path", r.URL.Path)
		if ctx.Err() != nil {
			level = slog.LevelDebug // the client went away; not a server fault
		}
	}
	logger.Log(ctx, level, "request failed", attrs...)
}
