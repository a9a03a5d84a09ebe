package gateway

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path"
	"strings"
)

// Two upstreams overlap when one path of one app is reached through both
// under different rules: whoever passes the looser rule reaches, through
// it, what the stricter one guards. /api → http://app/v1 (require: write,
// strip_prefix) beside / → http://app (require: login) lets every user
// call /v1/... directly.
//
// The model. A request path p goes to the upstream whose path_prefix P
// holds it (P itself or under P/), the longest such prefix winning, unless
// the gateway's own prefix holds it (those paths never reach an
// upstream). The upstream sends p to its URL's origin at the path
// T + rest, where rest is what follows P in p and T, its target, is the
// URL's path, followed by P unless strip_prefix. So an upstream reaches
// the subtree of its target, less the subtrees that longer prefixes (or
// the gateway's) take from its own. Two subtrees meet only when one
// target is a segment-prefix of the other; they share a path exactly when
// the longer target X is reached by both, that is when the gateway path
// through which each would reach X is routed to it.
//
// Assumptions: the app compares paths case-sensitively, gives a trailing
// slash no meaning, and resolves dot segments in the URL's path; it sees
// the path the gateway routed on (paths it would decode or cut
// differently are the canonical path's business). Different host names
// (or a Host header sent with pass_host) are different apps, even when
// they reach one server. The health and ready paths are single GET paths,
// not subtrees, so they hide nothing.

// Overlap is a pair of upstreams that reach the same app path under
// different rules. See [Config.Overlaps].
type Overlap struct {
	// A and B are the upstreams' indexes in Config.Upstreams, A < B.
	A, B int
	// URL is an app URL that both reach (and so, every URL under it that
	// no longer prefix takes).
	URL string
	// PathA and PathB are the gateway paths through which A and B reach
	// URL.
	PathA, PathB string

	nameA, nameB string
}

func (o Overlap) String() string {
	return fmt.Sprintf("%s and %s overlap: both reach %s (through %s and through %s) under different rules, "+
		"so whoever passes the looser rule reaches what the other guards; give each app path one rule",
		o.nameA, o.nameB, o.URL, o.PathA, o.PathB)
}

// Overlaps lists the pairs of upstreams that reach a path of the same app
// under different rules, each pair once. The configuration stays valid:
// the gateway logs them as warnings; `oauthgate config check` refuses
// them.
func (c *Config) Overlaps() []Overlap {
	return overlaps(c.Upstreams, c.Auth.Prefix)
}

// reach is what one upstream reaches.
type reach struct {
	index  int
	prefix string // path_prefix, "" for "/"
	origin string // scheme://host:port, comparable
	shown  string // scheme://host as configured, for messages
	target string // the app path of prefix itself, "" for the root
	up     *Upstream
}

// overlaps is [Config.Overlaps] over the upstreams and the gateway's own
// prefix ("" for none). Upstreams whose URL does not parse are skipped
// (Validate names them).
func overlaps(ups []Upstream, gatewayPrefix string) []Overlap {
	reaches := make([]reach, 0, len(ups))
	for i := range ups {
		if r, ok := reachOf(i, &ups[i]); ok {
			reaches = append(reaches, r)
		}
	}
	gatewayPrefix = strings.TrimSuffix(gatewayPrefix, "/")
	var out []Overlap
	for i, a := range reaches {
		for _, b := range reaches[i+1:] {
			if a.origin != b.origin || sameRule(a.up, b.up) {
				continue
			}
			x := b.target
			switch {
			case under(b.target, a.target):
			case under(a.target, b.target):
				x = a.target
			default:
				continue
			}
			pa, pb := a.gatewayPath(x), b.gatewayPath(x)
			if routed(reaches, gatewayPrefix, pa) != a.index || routed(reaches, gatewayPrefix, pb) != b.index {
				continue // a longer prefix takes x's whole subtree from one of them
			}
			out = append(out, Overlap{
				A: a.index, B: b.index, URL: a.shown + orRoot(x), PathA: pa, PathB: pb,
				nameA: a.name(), nameB: b.name(),
			})
		}
	}
	return out
}

// sameRule reports whether a and b let the same callers through. A
// per-upstream setting that widens what passes belongs here too.
func sameRule(a, b *Upstream) bool { return a.Require == b.Require }

func reachOf(i int, u *Upstream) (reach, bool) {
	t, err := url.Parse(u.URL)
	if err != nil || t.Host == "" {
		return reach{}, false
	}
	r := reach{index: i, prefix: strings.TrimSuffix(u.PathPrefix, "/"), up: u}
	r.origin, r.shown = origin(t), t.Scheme+"://"+t.Host
	base := ""
	if t.Path != "" {
		base = strings.TrimSuffix(path.Clean("/"+t.Path), "/")
	}
	r.target = base
	if !u.StripPrefix {
		r.target += r.prefix
	}
	return r, true
}

// origin returns scheme://host:port with the default port made explicit,
// the host in lower case without a final dot, an IP address in its
// canonical form.
func origin(t *url.URL) string {
	scheme := strings.ToLower(t.Scheme)
	host := strings.TrimSuffix(strings.ToLower(t.Hostname()), ".")
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.Unmap().String()
	}
	port := t.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// gatewayPath returns the gateway path through which r reaches the app
// path x, which is under r.target.
func (r reach) gatewayPath(x string) string {
	return orRoot(r.prefix + x[len(r.target):])
}

func (r reach) name() string {
	return fmt.Sprintf("upstreams[%d] (%s, require: %s)", r.index, orRoot(r.prefix), r.up.Require)
}

// routed returns the index of the upstream that the gateway path p goes
// to: the longest prefix holding it, matched as the gateway's router
// matches (prefixMatch, ignoring ASCII case); -1 when the gateway's
// prefix holds it (no upstream prefix lies inside the gateway's) or no
// prefix does.
func routed(reaches []reach, gatewayPrefix, p string) int {
	if gatewayPrefix != "" && under(p, gatewayPrefix) {
		return -1
	}
	best, bestLen := -1, -1
	for _, r := range reaches {
		if kinds, _ := prefixMatch(p, orRoot(r.prefix)); kinds&matchFold != 0 && len(r.prefix) > bestLen {
			best, bestLen = r.index, len(r.prefix)
		}
	}
	return best
}

// under reports whether path p is dir or below it, on whole segments;
// dir "" is the root.
func under(p, dir string) bool {
	p = strings.TrimSuffix(p, "/")
	return dir == "" || p == dir || strings.HasPrefix(p, dir+"/")
}

func orRoot(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
