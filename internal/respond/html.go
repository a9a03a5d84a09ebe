package respond

import (
	"bytes"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
)

var pageTemplate = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em;color:#222}</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>{{.Msg}}</p>
</body>
</html>
`))

type page struct {
	Title string
	Msg   string
}

// Page writes a small HTML page for browser routes. Title and msg are
// escaped by html/template. The page may not be framed, runs no script and
// loads nothing (a strict Content-Security-Policy), and is not cached.
// An empty title means the status text.
func Page(w http.ResponseWriter, code int, title, msg string) {
	if title == "" {
		title = http.StatusText(code)
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, page{Title: title, Msg: msg}); err != nil {
		// Cannot happen with string fields; keep a plain answer anyway.
		buf.Reset()
		buf.WriteString("error\n")
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// PageError writes err as an HTML page using [Public] for the status and
// message, and logs the cause like [JSONError].
func PageError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	code, msg := Public(err)
	logError(r, logger, code, err)
	retryAfter(w.Header(), err)
	Page(w, code, "", msg)
}
