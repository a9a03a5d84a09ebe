package respond

import (
	"bytes"
	"html/template"
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
{{with .Links}}<ul>
{{range .}}<li><a href="{{.Href}}">{{.Text}}</a></li>
{{end}}</ul>
{{end}}{{if .Action}}<form method="post" action="{{.Action}}"><button type="submit">{{.Button}}</button></form>
{{end}}</body>
</html>
`))

type page struct {
	Title string
	Msg   string
	// Action and Button, when Action is set, make a form with one button
	// that posts to Action.
	Action string
	Button string
	// Links are offered below the message, such as the way home.
	Links []Link
}

// Link is a link of an error page: its text and target (a path of the app
// or its base_url).
type Link struct {
	Text string
	Href string
}

// ConfirmPage writes a page like the error pages of [Fail] with one form,
// a button that posts to action (a path of the app): the way to have a
// person confirm what a page of another site asked for. The page needs no script. Its policy has
// no form-action: browsers apply that to every redirect after the post,
// and the destination may send the browser on to the identity provider.
func ConfirmPage(w http.ResponseWriter, code int, title, msg, action, button string) {
	writePage(w, code, page{Title: title, Msg: msg, Action: action, Button: button})
}

// writePage writes p with the status code. Title and messages are
// escaped by html/template. The page may not be framed, runs no script and
// loads nothing (a strict Content-Security-Policy), and is not cached. An
// empty title means the status text.
func writePage(w http.ResponseWriter, code int, p page) {
	if p.Title == "" {
		p.Title = http.StatusText(code)
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
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
