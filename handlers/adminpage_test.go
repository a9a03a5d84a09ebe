package handlers_test

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/oauthgate/oauthgate/handlers/internal/e2etest"
)

// The admin page's policy, written out: a change to it must be deliberate.
const wantAdminCSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

var htmlAccept = http.Header{"Accept": {"text/html,application/xhtml+xml"}}

// parseHTML parses a page, failing the test on a malformed one.
func parseHTML(t *testing.T, body []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parsing the page: %v", err)
	}
	return doc
}

// walk calls f on every element of the tree under n.
func walk(n *html.Node, f func(*html.Node)) {
	if n.Type == html.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func text(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return b.String()
}

// byID returns the element with this id, or nil.
func byID(doc *html.Node, id string) *html.Node {
	var found *html.Node
	walk(doc, func(n *html.Node) {
		if v, ok := attr(n, "id"); ok && v == id && found == nil {
			found = n
		}
	})
	return found
}

func TestAdminPageServed(t *testing.T) {
	t.Parallel()
	app := start(t, e2etest.Options{Prefix: "/api/v1"})
	page := "/api/v1/manage_capabilities/"
	manager := app.Browser(t, e2etest.ManagerEmail)
	resp := manager.DoHeader(t, http.MethodGet, page, "", htmlAccept).Expect(t, http.StatusOK)
	for k, want := range map[string]string{
		"Content-Security-Policy": wantAdminCSP,
		"Content-Type":            "text/html; charset=utf-8",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Cache-Control":           "no-store",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q; want %q", k, got, want)
		}
	}
	doc := parseHTML(t, resp.Body)

	// Nothing inline: every script has a src, no style element or
	// attribute, no event handler attribute, no javascript: URL.
	var scripts, sheets []string
	walk(doc, func(n *html.Node) {
		switch n.Data {
		case "script":
			src, ok := attr(n, "src")
			if !ok || strings.TrimSpace(text(n)) != "" {
				t.Errorf("inline script: %q", text(n))
			}
			scripts = append(scripts, src)
		case "style":
			t.Errorf("inline style element: %q", text(n))
		case "link":
			if rel, _ := attr(n, "rel"); rel == "stylesheet" {
				href, _ := attr(n, "href")
				sheets = append(sheets, href)
			}
		}
		for _, a := range n.Attr {
			if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s %s=%q>: inline style or handler", n.Data, a.Key, a.Val)
			}
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") {
				t.Errorf("<%s %s=%q>: javascript: URL", n.Data, a.Key, a.Val)
			}
		}
	})
	if !slices.Equal(scripts, []string{page + "admin.js"}) || !slices.Equal(sheets, []string{page + "admin.css"}) {
		t.Errorf("scripts %q, stylesheets %q", scripts, sheets)
	}
	var viewport bool
	walk(doc, func(n *html.Node) {
		if name, _ := attr(n, "name"); n.Data == "meta" && name == "viewport" {
			viewport = true
		}
	})
	if !viewport {
		t.Error("no viewport meta: unreadable on a phone")
	}

	// What it shows: users with stored and effective capabilities,
	// service accounts apart, the graph, and the body's prefix for the script.
	rows := map[string][2]string{}
	walk(doc, func(n *html.Node) {
		if email, ok := attr(n, "data-email"); ok && n.Data == "tr" {
			var cells []string
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				if c.Type == html.ElementNode {
					cells = append(cells, strings.Join(strings.Fields(strings.ReplaceAll(text(c), "×", "")), " "))
				}
			}
			rows[email] = [2]string{cells[1], cells[2]}
		}
	})
	if got := rows[e2etest.ManagerEmail]; got != [2]string{"user_management write", "read, user_management, write"} {
		t.Errorf("manager's row: stored %q effective %q", got[0], got[1])
	}
	if _, ok := rows[e2etest.AdminEmail]; !ok {
		t.Errorf("no row for the admin: %v", rows)
	}
	if !strings.Contains(text(byID(doc, "services")), e2etest.ServiceName) || strings.Contains(text(byID(doc, "users")), e2etest.ServiceName) {
		t.Errorf("the service account is not (only) among the service accounts")
	}
	graph := strings.Join(strings.Fields(text(byID(doc, "graph"))), " ")
	for _, want := range []string{"write → read", "moderate → read, write", "look → nothing else"} {
		if !strings.Contains(graph, want) {
			t.Errorf("graph %q lacks %q", graph, want)
		}
	}
	if v, _ := attr(byID(doc, "me").Parent.Parent.Parent, "data-prefix"); v != "/api/v1" {
		t.Errorf("body data-prefix = %q", v)
	}
	if byID(doc, "clients-section") != nil {
		t.Error("machine clients section without a client-credentials grant")
	}

	// The files, with their types, to anyone.
	for file, ctype := range map[string]string{"admin.js": "text/javascript; charset=utf-8", "admin.css": "text/css; charset=utf-8"} {
		r := app.Guest().Get(t, page+file).Expect(t, http.StatusOK)
		if r.Header.Get("Content-Type") != ctype || r.Header.Get("X-Content-Type-Options") != "nosniff" || len(r.Body) < 100 {
			t.Errorf("%s: Content-Type %q, nosniff %q, %d bytes", file, r.Header.Get("Content-Type"), r.Header.Get("X-Content-Type-Options"), len(r.Body))
		}
	}
	// The subtree pattern takes nothing from the other routes.
	manager.Get(t, "/api/v1/manage_capabilities/add").Expect(t, http.StatusMethodNotAllowed)
	manager.Get(t, "/api/v1/manage_capabilities/nothing").Expect(t, http.StatusNotFound)
	manager.Do(t, http.MethodPost, page, `{}`).Expect(t, http.StatusMethodNotAllowed)
}

func TestAdminPageRefusals(t *testing.T) {
	t.Parallel()
	app := start(t, e2etest.Options{Prefix: "/api/v1"})
	page := "/api/v1/manage_capabilities/"

	// A guest goes to the login, and back here after it.
	loc := app.Guest().DoHeader(t, http.MethodGet, page, "", htmlAccept).Expect(t, http.StatusFound).Location(t)
	if loc.Path != "/api/v1/login" || loc.Query().Get("next") != page {
		t.Errorf("guest sent to %s", loc)
	}

	// A user without user_management: the 403 page, with the way on.
	resp := app.Browser(t, e2etest.UserEmail).DoHeader(t, http.MethodGet, page, "", htmlAccept).Expect(t, http.StatusForbidden)
	doc := parseHTML(t, resp.Body)
	links := map[string]string{}
	walk(doc, func(n *html.Node) {
		if href, ok := attr(n, "href"); ok && n.Data == "a" {
			links[text(n)] = href
		}
	})
	wantLogin := "/api/v1/logout?" + url.Values{"next": {"/api/v1/login?" + url.Values{"next": {page}}.Encode()}}.Encode()
	if links["Home page"] != app.URL+"/" || links["Log out"] != "/api/v1/logout" || links["Log in as another user"] != wantLogin {
		t.Errorf("403 page links %v; want home %s/, logout, and %s", links, app.URL, wantLogin)
	}
	if !strings.Contains(text(doc), "logged in as "+e2etest.UserEmail) {
		t.Errorf("403 page: %s", resp.Body)
	}
	// An API client gets JSON, without links.
	app.User(t, e2etest.UserEmail).Get(t, page).Expect(t, http.StatusForbidden)
}

func TestAdminPageOff(t *testing.T) {
	t.Parallel()
	app := start(t, e2etest.Options{Extra: "admin_page: false\n"})
	manager := app.Browser(t, e2etest.ManagerEmail)
	manager.DoHeader(t, http.MethodGet, "/manage_capabilities/", "", htmlAccept).Expect(t, http.StatusNotFound)
	manager.Get(t, "/manage_capabilities/admin.js").Expect(t, http.StatusNotFound)
	manager.Get(t, "/manage_capabilities/list").Expect(t, http.StatusOK) // the JSON routes stay
}
