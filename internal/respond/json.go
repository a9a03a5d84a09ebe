package respond

import (
	"bytes"
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
