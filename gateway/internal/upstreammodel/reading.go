// Package upstreammodel models how the app servers put behind a gateway
// read a request path before routing it (Werkzeug, Jetty, Tomcat, nginx,
// Express, ASP.NET, Spring, IIS...), so that tests can ask "which of the
// app's routes would serve this request?" the way each of them would
// answer. It is written to be obviously right rather than fast: it is the
// oracle of the gateway's path tests, never used to serve.
package upstreammodel

import (
	"slices"
	"strings"
)

// Params says what a server does with ";" path parameters.
type Params int

// Values of [Reading.Params].
const (
	ParamsKeep    Params = iota // ";x" is part of the segment (Go, Werkzeug)
	ParamsRaw                   // ";..." is cut from each segment before decoding (Tomcat, Jetty)
	ParamsDecoded               // cut after decoding, so %3B counts too
)

// Reading is one server's way of reading a path.
type Reading struct {
	// Decode is how many times %XX escapes are decoded: 0 (routes on
	// the bytes as sent), 1 (nearly every server), 2 (old IIS).
	Decode int
	// DecodeSlash makes a decoded %2F or %5C a character like any other
	// (Werkzeug, nginx); otherwise it stays as its escape, inside its
	// segment (Tomcat's passthrough).
	DecodeSlash bool
	// Backslash makes "\" a separator (Windows servers, some Java ones).
	Backslash bool
	// Params is what happens to ";" parameters.
	Params Params
	// MergeSlashes reads "//" as "/" (nginx).
	MergeSlashes bool
	// ResolveDots resolves "." and ".." segments (RFC 3986 §5.2.4).
	ResolveDots bool
	// FoldCase matches routes ignoring case, with Unicode simple folding
	// (Express, ASP.NET, Java's equalsIgnoreCase).
	FoldCase bool
	// Suffix lets a segment "admin.json", "admin." or "admin " match a
	// route segment "admin" (Spring's suffix patterns, Windows' trailing
	// dots and spaces).
	Suffix bool
}

// Readings returns every combination of the fields of [Reading].
func Readings() []Reading {
	var all []Reading
	for _, parse := range parsings {
		for _, fold := range []bool{false, true} {
			for _, suffix := range []bool{false, true} {
				rd := parse
				rd.FoldCase, rd.Suffix = fold, suffix
				all = append(all, rd)
			}
		}
	}
	return all
}

// parsings are the readings that differ in how they parse a path, not
// in how they match it (FoldCase, Suffix).
var parsings = func() []Reading {
	var all []Reading
	for decode := range 3 {
		for _, slash := range []bool{false, true} {
			for _, back := range []bool{false, true} {
				for _, params := range []Params{ParamsKeep, ParamsRaw, ParamsDecoded} {
					for _, merge := range []bool{false, true} {
						for _, dots := range []bool{false, true} {
							all = append(all, Reading{Decode: decode, DecodeSlash: slash, Backslash: back, Params: params, MergeSlashes: merge, ResolveDots: dots})
						}
					}
				}
			}
		}
	}
	return all
}()

// AllRoutes returns, sorted, the routes that serve path under some
// reading: what [Reading.Route] answers for each of [Readings], computed
// faster.
func AllRoutes(path string, routes []string) []string {
	parsed := map[string]bool{}
	var out []string
	for _, parse := range parsings {
		segs := parse.Segments(path)
		key := strings.Join(segs, "/")
		if parsed[key] {
			continue
		}
		parsed[key] = true
		for _, fold := range []bool{false, true} {
			for _, suffix := range []bool{false, true} {
				rd := parse
				rd.FoldCase, rd.Suffix = fold, suffix
				if r := rd.route(segs, routes); !slices.Contains(out, r) {
					out = append(out, r)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// Segments returns the path segments that the server routes on, for the
// path of a request line (no query).
func (rd Reading) Segments(path string) []string {
	if rd.Params == ParamsRaw {
		path = cutParams(path)
	}
	for range rd.Decode {
		path = decode(path, rd.DecodeSlash)
	}
	if rd.Backslash {
		path = strings.ReplaceAll(path, `\`, "/")
	}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if rd.Params == ParamsDecoded {
		for i, s := range segs {
			segs[i], _, _ = strings.Cut(s, ";")
		}
	}
	if rd.MergeSlashes {
		segs = nonEmpty(segs)
	}
	if rd.ResolveDots {
		segs = resolveDots(segs)
	}
	return segs
}

// Route returns the route (one of routes, such as "/" or "/admin") that
// serves path: the longest whose segments start the path's.
func (rd Reading) Route(path string, routes []string) string {
	return rd.route(rd.Segments(path), routes)
}

func (rd Reading) route(segs []string, routes []string) string {
	best := ""
	for _, route := range routes {
		if len(route) > len(best) && rd.under(segs, route) {
			best = route
		}
	}
	return best
}

func (rd Reading) under(segs []string, route string) bool {
	if route == "/" {
		return true
	}
	want := strings.Split(strings.TrimPrefix(route, "/"), "/")
	if len(segs) < len(want) {
		return false
	}
	for i, w := range want {
		if !rd.segmentIs(segs[i], w) {
			return false
		}
	}
	return true
}

func (rd Reading) segmentIs(seg, want string) bool {
	eq := func(a, b string) bool { return a == b }
	if rd.FoldCase {
		eq = strings.EqualFold
	}
	if eq(seg, want) {
		return true
	}
	if !rd.Suffix {
		return false
	}
	for i := 0; i < len(seg); i++ {
		if (seg[i] == '.' || seg[i] == ' ') && eq(seg[:i], want) {
			return true
		}
	}
	return false
}

// cutParams removes ";..." from each segment of a raw path.
func cutParams(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i], _, _ = strings.Cut(s, ";")
	}
	return strings.Join(segs, "/")
}

// decode decodes the %XX escapes of s once; a bad escape stays as it is,
// and so do %2F and %5C unless slashes is set.
func decode(s string, slashes bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			c := unhex(s[i+1])<<4 | unhex(s[i+2])
			if slashes || (c != '/' && c != '\\') {
				b.WriteByte(c)
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func nonEmpty(segs []string) []string {
	var out []string
	for _, s := range segs {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func resolveDots(segs []string) []string {
	var out []string
	for _, s := range segs {
		switch s {
		case ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	return out
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
