package gateway

import (
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/oauthgate/oauthgate/auth"
)

// mount is an upstream's running parts.
type mount struct {
	u     *Upstream
	opts  []auth.RequireOption
	proxy http.Handler // to the upstream, once a rule has let the request through
	guard http.Handler // proxy behind the upstream's own rule
}

// sortMounts orders upstreams longest prefix first, as [state.scan]
// needs them.
func sortMounts(ms []*mount) {
	slices.SortStableFunc(ms, func(a, b *mount) int { return len(b.u.PathPrefix) - len(a.u.PathPrefix) })
}

// upstreamRoutes is what the ServeMux holds at the upstreams' prefixes:
// it tells the gateway's own routes (login, check, health...) from the
// upstreams'; which upstream, and under which rules, [state.decide]
// says.
type upstreamRoutes struct{}

func (upstreamRoutes) ServeHTTP(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }

// How a prefix matches a path, one bit per way of reading it.
const (
	// matchExact: byte for byte, on whole segments.
	matchExact uint8 = 1 << iota
	// matchFold: ignoring ASCII case. The upstream is chosen this way.
	matchFold
	// matchLenient: the way the most lenient servers read a segment:
	// case folded as Java's equalsIgnoreCase does (which also maps
	// U+212A K, U+017F ſ, U+0130 İ and U+0131 ı to ASCII letters), and
	// "admin.json", "admin." or "admin " read as "admin" (Spring's suffix
	// patterns, Windows' trailing dots and spaces).
	matchLenient
	matchAll = matchExact | matchFold | matchLenient
)

// decision gathers the route of a request: the upstream it goes to and
// every rule that some reading of its path reaches.
type decision struct {
	m     *mount
	strip int // bytes of the path that m's prefix spans
	// rules are the requirements that the readings reach, m's among
	// them ("public" never listed): in the array, then in more. The
	// array keeps an ordinary request allocation-free.
	rules [4]string
	more  []string
	n     int
}

func (d *decision) note(require string) {
	if require == RequirePublic || slices.Contains(d.rules[:min(d.n, len(d.rules))], require) || slices.Contains(d.more, require) {
		return
	}
	if d.n < len(d.rules) {
		d.rules[d.n] = require
	} else {
		d.more = append(d.more, require)
	}
	d.n++
}

// extra returns the requirements besides m's own.
func (d *decision) extra() []string {
	all := slices.Concat(d.rules[:min(d.n, len(d.rules))], d.more)
	return slices.DeleteFunc(all, func(r string) bool { return r == d.m.u.Require })
}

// decide picks the upstream of p and the rules to apply, or the public
// reason for refusing p (400). The upstream is the longest prefix that
// matches the decoded path ignoring ASCII case, an encoded slash not
// counting as a separator. The rules are that upstream's, and those of
// every other upstream that some server's reading of the path makes its
// longest match: the raw path (a server that does not decode), the
// decoded path, case folded, with suffixes; and when the upstream allows
// them, with encoded slashes read as separators or not, ";" parameters
// cut before or after decoding, "//" merged or not. No upstream (d.m
// nil) and no reason: no upstream's prefix covers the path.
func (st *state) decide(p *reqPath) (d decision, reason string) {
	primary := p.path
	if p.encSlash {
		primary = readPath(p.raw, true, false, false, cutNone, false)
	}
	st.scan(primary, &d, true)
	switch {
	case d.m == nil:
		return d, optInReason(p)
	case p.encSlash && !d.m.u.AllowEncodedSlashes:
		return d, badPathSlash
	case p.params && !d.m.u.AllowPathParams:
		return d, badPathParams
	}
	if p.raw != p.path {
		st.scan(p.raw, &d, false)
	}
	if p.encSlash || p.params {
		if len(p.raw) > maxReadPath {
			return d, badPathLong
		}
		st.scanReadings(p, &d)
	}
	return d, ""
}

// guard returns the handler of d: the rules, then the proxy to d's
// upstream.
func (st *state) guard(d *decision) http.Handler {
	if d.n == 0 || d.n == 1 && d.rules[0] == d.m.u.Require {
		return d.m.guard
	}
	return st.combinedGuard(d.m, d.extra())
}

// scan notes the rules of the upstreams that a reading of path makes
// its longest match: every prefix that matches leniently, down to the
// longest that matches exactly (which matches in every reading). With
// primary, the longest that matches ignoring ASCII case becomes d's
// upstream.
func (st *state) scan(path string, d *decision, primary bool) {
	exact := -1
	for _, m := range st.mounts { // longest prefix first
		if len(m.u.PathPrefix) < exact {
			break
		}
		kinds, n := prefixMatch(path, m.u.PathPrefix)
		if kinds == 0 {
			continue
		}
		d.note(m.u.Require)
		if primary && d.m == nil && kinds&matchFold != 0 {
			d.m, d.strip = m, n
		}
		if kinds&matchExact != 0 {
			exact = len(m.u.PathPrefix)
		}
	}
}

// maxReadPath bounds the path whose readings scanReadings makes, each
// a copy: nginx and Tomcat refuse a request line over 8 KiB anyway.
const maxReadPath = 8 << 10

// scanReadings scans the readings of a path with encoded slashes or ";"
// parameters that some servers make.
func (st *state) scanReadings(p *reqPath, d *decision) {
	both := []bool{false, true}
	one := []bool{false}
	slashes := one
	if p.encSlash {
		slashes = both
	}
	cuts := []paramCut{cutNone}
	if p.params {
		cuts = []paramCut{cutNone, cutRaw, cutDecoded}
	}
	for _, decode := range both {
		for _, slash := range slashes {
			for _, backslash := range slashes {
				if !decode && (slash || backslash) {
					continue // nothing to decode
				}
				for _, cut := range cuts {
					for _, merge := range both {
						st.scan(readPath(p.raw, decode, slash, backslash, cut, merge), d, false)
					}
				}
			}
		}
	}
}

// combinedGuard returns the handler that applies m's rule and then each
// of extra's before proxying to m, built once per combination.
func (st *state) combinedGuard(m *mount, extra []string) http.Handler {
	slices.Sort(extra)
	key := m.u.PathPrefix + "\x00" + strings.Join(extra, "\x00")
	if h, ok := st.guards.Load(key); ok {
		return h.(http.Handler)
	}
	h := m.proxy
	for i := len(extra) - 1; i >= 0; i-- {
		h = st.rule(extra[i], m.opts)(h)
	}
	h = st.rule(m.u.Require, m.opts)(h)
	v, _ := st.guards.LoadOrStore(key, h)
	return v.(http.Handler)
}

// rule returns the middleware of a requirement: "public", "login" or a
// capability of the graph.
func (st *state) rule(require string, opts []auth.RequireOption) func(http.Handler) http.Handler {
	switch require {
	case RequirePublic:
		return st.m.Optional()
	case RequireLogin:
		return st.m.RequireLogin(opts...)
	}
	return st.m.Require(require, opts...)
}

// prefixMatch reports how prefix ("/" or a clean path such as "/a/b")
// matches the start of path on whole segments, and how many bytes of
// path it spans.
func prefixMatch(path, prefix string) (kinds uint8, n int) {
	if prefix == "/" {
		return matchAll, 0
	}
	kinds = matchAll
	i := 0
	for j := 0; j < len(prefix); {
		if i+1 >= len(path) || path[i] != '/' {
			return 0, 0
		}
		// Most prefixes differ at once: an ASCII first byte that does
		// not fold to the prefix's settles it (a prefix's segments are
		// never empty).
		if c := path[i+1]; c < utf8.RuneSelf && asciiLower(c) != asciiLower(prefix[j+1]) {
			return 0, 0
		}
		pe := j + 1 + indexOrLen(prefix[j+1:], '/')
		se := i + 1 + indexOrLen(path[i+1:], '/')
		kinds &= segmentMatch(path[i+1:se], prefix[j+1:pe])
		if kinds == 0 {
			return 0, 0
		}
		i, j = se, pe
	}
	return kinds, i
}

func indexOrLen(s string, c byte) int {
	if i := strings.IndexByte(s, c); i >= 0 {
		return i
	}
	return len(s)
}

// segmentMatch reports how a path segment matches a prefix's segment
// want (ASCII).
func segmentMatch(seg, want string) uint8 {
	if seg == want {
		return matchAll
	}
	if len(seg) == len(want) && asciiEqualFold(seg, want) {
		return matchFold | matchLenient
	}
	if n, ok := lenientFoldPrefix(seg, want); ok && (n == len(seg) || seg[n] == '.' || seg[n] == ' ') {
		return matchLenient
	}
	return 0
}

func asciiEqualFold(a, b string) bool {
	for i := 0; i < len(a); i++ {
		if asciiLower(a[i]) != asciiLower(b[i]) {
			return false
		}
	}
	return true
}

func asciiLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// lenientFoldPrefix reports whether seg starts with want (ASCII) case
// folded as leniently as any server does, and the bytes of seg that
// match it.
func lenientFoldPrefix(seg, want string) (int, bool) {
	i := 0
	for k := 0; k < len(want); k++ {
		if i >= len(seg) {
			return 0, false
		}
		w := asciiLower(want[k])
		if c := seg[i]; c < utf8.RuneSelf {
			if asciiLower(c) != w {
				return 0, false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(seg[i:])
		if foldedASCII(r) != w {
			return 0, false
		}
		i += size
	}
	return i, true
}

// foldedASCII returns the ASCII letter that a non-ASCII rune equals in
// some server's case-insensitive comparison, or 0: the Kelvin sign and
// the long s in Unicode simple folding (Go's EqualFold, .NET), the
// Turkish dotted and dotless i in Java's equalsIgnoreCase.
func foldedASCII(r rune) byte {
	switch r {
	case '\u212a':
		return 'k'
	case '\u017f':
		return 's'
	case '\u0130', '\u0131':
		return 'i'
	}
	return 0
}

// paramCut says when a reading cuts ";" parameters from segments.
type paramCut int

const (
	cutNone    paramCut = iota
	cutRaw              // before decoding, at a raw ";" (Tomcat, Jetty)
	cutDecoded          // after decoding, so at %3B too
)

// placeholder stands in a reading for an encoded slash that is not a
// separator: a byte no prefix holds.
const placeholder = 0

// readPath returns the raw path read as one kind of server reads it:
// decoded or not; with %2F a separator (slash) or a character; with
// %5C and "\" a separator (backslash) or a character; ";" parameters cut
// or not; "//" merged or not.
func readPath(raw string, decode, slash, backslash bool, cut paramCut, merge bool) string {
	b := make([]byte, 0, len(raw))
	skip := false // inside a cut parameter
	for i := 0; i < len(raw); i++ {
		c, encoded := raw[i], false
		if decode && c == '%' && i+2 < len(raw) {
			c, encoded = unhex(raw[i+1])<<4|unhex(raw[i+2]), true
			i += 2
		}
		switch {
		case c == '/' && encoded && !slash:
			c = placeholder
		case c == '\\' && backslash:
			c = '/'
		case c == ';' && (cut == cutDecoded || cut == cutRaw && !encoded):
			skip = true
			continue
		}
		sep := c == '/'
		if sep && (cut != cutRaw || raw[i] == '/') {
			skip = false // Tomcat cuts up to the next raw "/" only
		}
		if skip || sep && merge && len(b) > 0 && b[len(b)-1] == '/' {
			continue
		}
		b = append(b, c)
	}
	return string(b)
}
