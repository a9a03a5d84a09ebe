package gateway

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/capabilities"
)

// overlapCase is a list of upstreams, the gateway's prefix, and the
// overlaps expected, as "A,B URL PathA PathB".
type overlapCase struct {
	name   string
	prefix string
	ups    []Upstream
	want   []string
}

// up is an upstream: "/api http://app/v1 write strip".
func up(spec string) Upstream {
	f := strings.Fields(spec)
	return Upstream{PathPrefix: f[0], URL: f[1], Require: f[2], StripPrefix: len(f) > 3 && f[3] == "strip"}
}

func ups(specs ...string) []Upstream {
	out := make([]Upstream, len(specs))
	for i, s := range specs {
		out[i] = up(s)
	}
	return out
}

var overlapCases = []overlapCase{
	{name: "README before: the API's paths are open to every user through /",
		prefix: "/oauth2",
		ups: ups("/api http://127.0.0.1:8000/v1 write strip", "/static http://127.0.0.1:8000 public",
			"/ http://127.0.0.1:8000 login", "/reports https://reports.internal:8443 read"),
		want: []string{"0,2 http://127.0.0.1:8000/v1 /api /v1"}},
	{name: "README after: the API is an app of its own",
		prefix: "/oauth2",
		ups: ups("/api http://127.0.0.1:8001/v1 write strip", "/static http://127.0.0.1:8000 public",
			"/ http://127.0.0.1:8000 login", "/reports https://reports.internal:8443 read")},
	{name: "the direct path claimed under the API's rule",
		ups: ups("/api http://app/v1 write strip", "/ http://app login", "/v1 http://app write")},
	{name: "only a part of the direct path claimed",
		ups:  ups("/api http://app/v1 write strip", "/ http://app login", "/v1/admin http://app write"),
		want: []string{"0,1 http://app/v1 /api /v1"}},
	{name: "same rule",
		ups: ups("/api http://app/v1 login strip", "/ http://app login")},
	{name: "other port", ups: ups("/api http://app:8001/v1 write strip", "/ http://app:8000 login")},
	{name: "other scheme", ups: ups("/api https://app/v1 write strip", "/ http://app login")},
	{name: "other host", ups: ups("/api http://api/v1 write strip", "/ http://app login")},
	{name: "default port and host case",
		ups:  ups("/api http://APP./v1 write strip", "/ http://app:80 login"),
		want: []string{"0,1 http://APP./v1 /api /v1"}},
	{name: "https default port",
		ups:  ups("/api https://app/v1 write strip", "/ https://app:443 login"),
		want: []string{"0,1 https://app/v1 /api /v1"}},
	{name: "IPv6 forms",
		ups:  ups("/api http://[::1]:8000/v1 write strip", "/ http://[0:0::1]:8000 login"),
		want: []string{"0,1 http://[::1]:8000/v1 /api /v1"}},
	{name: "a stripped prefix reaches the whole app",
		ups:  ups("/public http://app public strip", "/ http://app login"),
		want: []string{"0,1 http://app/ /public /"}},
	{name: "the catch-all with a base path",
		ups:  ups("/ http://app/base login", "/pub http://app public strip"),
		want: []string{"0,1 http://app/base / /pub/base"}},
	{name: "gatewaytest's config before: /strip opens /base of the read catch-all",
		prefix: "/oauth2",
		ups:    ups("/pub http://up public", "/app http://up login", "/write http://up write", "/strip http://up/base public strip", "/ http://up read"),
		want:   []string{"3,4 http://up/base /strip /base"}},
	{name: "gatewaytest's config after",
		prefix: "/oauth2",
		ups:    ups("/pub http://up public", "/app http://up login", "/write http://up write", "/strip http://up/base public strip", "/ http://up read", "/base http://up public")},
	{name: "the gateway's prefix is never the catch-all's",
		prefix: "/oauth2",
		ups:    ups("/x http://app/oauth2 public strip", "/ http://app login")},
	{name: "without a prefix, the auth routes are single paths",
		ups:  ups("/x http://app/oauth2 public strip", "/ http://app login"),
		want: []string{"0,1 http://app/oauth2 /x /oauth2"}},
	{name: "nested prefixes to one app, no strip",
		ups: ups("/a http://app public", "/a/b http://app login", "/ http://app write")},
	{name: "nested prefixes, the inner one stripped",
		ups:  ups("/a http://app public", "/a/b http://app login strip"),
		want: []string{"0,1 http://app/a /a /a/b/a"}},
	{name: "segment boundary",
		ups: ups("/api http://app/v1 write strip", "/ http://app/v10 login")},
	{name: "a deeper target behind a claimed path",
		ups: ups("/api http://app/v1/admin write strip", "/v1 http://app write", "/ http://app login")},
	{name: "a deeper target, its parent open",
		ups:  ups("/api http://app/v1/admin write strip", "/ http://app login"),
		want: []string{"0,1 http://app/v1/admin /api /v1/admin"}},
	{name: "dot segments and trailing slash in the URL",
		ups:  ups("/api http://app/x/../v1/ write strip", "/ http://app login"),
		want: []string{"0,1 http://app/v1 /api /v1"}},
	{name: "each pair once",
		ups:  ups("/a http://app/x public strip", "/b http://app/x login strip", "/c http://app/x write strip"),
		want: []string{"0,1 http://app/x /a /b", "0,2 http://app/x /a /c", "1,2 http://app/x /b /c"}},
	{name: "no upstreams"},
}

func TestOverlaps(t *testing.T) {
	t.Parallel()
	for _, tc := range overlapCases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, o := range overlaps(tc.ups, tc.prefix) {
				got = append(got, fmt.Sprintf("%d,%d %s %s %s", o.A, o.B, o.URL, o.PathA, o.PathB))
				for _, i := range []int{o.A, o.B} {
					if name := fmt.Sprintf("upstreams[%d] (%s, require: %s)", i, tc.ups[i].PathPrefix, tc.ups[i].Require); !strings.Contains(o.String(), name) {
						t.Errorf("%q does not name %s", o, name)
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("overlaps = %q\nwant       %q", got, tc.want)
			}
		})
	}
}

// The model agrees with the gateway: every case's upstreams run behind a
// real gateway, whose transport records which upstream sent each request
// to which app URL; every gateway path of a corpus (prefixes, targets and
// their children) is requested by a user who passes every rule.
// Whenever two upstreams of different rules reached the same app path,
// the pair is reported; and every reported pair's paths do reach the
// reported URL through those upstreams.
func TestOverlapsMatchTheGateway(t *testing.T) {
	t.Parallel()
	for _, tc := range overlapCases {
		if len(tc.ups) == 0 {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			g := overlapGateway(t, tc)
			byPrefix := map[string]int{}
			for i, u := range g.Config().Upstreams {
				byPrefix[u.PathPrefix] = i
			}
			// reached: the upstream and normalised app URL of a gateway path.
			reached := func(p string) (int, string) {
				rec := httptest.NewRecorder()
				g.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://gw.example"+p, nil))
				if rec.Code != http.StatusOK || rec.Header().Get("X-Reached-Prefix") == "" {
					return -1, ""
				}
				sent, err := url.Parse(rec.Body.String())
				if err != nil {
					t.Fatalf("GET %s: the upstream got %q: %v", p, rec.Body.String(), err)
				}
				return byPrefix[rec.Header().Get("X-Reached-Prefix")], origin(sent) + strings.TrimSuffix(path.Clean(sent.Path), "/") // the app resolves dot segments
			}
			reachedBy := map[string][]int{}
			for _, p := range overlapCorpus(tc) {
				i, u := reached(p)
				if i >= 0 && !slices.Contains(reachedBy[u], i) {
					reachedBy[u] = append(reachedBy[u], i)
				}
			}
			reported := map[[2]int]bool{}
			for _, o := range overlaps(tc.ups, tc.prefix) {
				reported[[2]int{o.A, o.B}] = true
				ia, ua := reached(o.PathA)
				ib, ub := reached(o.PathB)
				if ia != o.A || ib != o.B || ua != ub {
					t.Errorf("%s: %s reaches upstreams[%d] at %s, %s reaches upstreams[%d] at %s", o, o.PathA, ia, ua, o.PathB, ib, ub)
				}
			}
			for u, is := range reachedBy {
				slices.Sort(is)
				for x, a := range is {
					for _, b := range is[x+1:] {
						if !sameRule(&tc.ups[a], &tc.ups[b]) && !reported[[2]int{a, b}] {
							t.Errorf("upstreams[%d] and [%d] both reach %s under different rules; not reported", a, b, u)
						}
					}
				}
			}
		})
	}
}

// overlapCorpus returns gateway paths that reach every upstream, its
// target, and the targets of the others.
func overlapCorpus(tc overlapCase) []string {
	var rs []reach
	for i := range tc.ups {
		r, _ := reachOf(i, &tc.ups[i])
		rs = append(rs, r)
	}
	paths := []string{"/", "/x"}
	if tc.prefix != "" {
		paths = append(paths, tc.prefix, tc.prefix+"/x")
	}
	for _, r := range rs {
		paths = append(paths, orRoot(r.prefix), r.prefix+"/", r.prefix+"/x", orRoot(r.target), r.target+"/x")
		for _, other := range rs {
			if under(other.target, r.target) {
				paths = append(paths, r.gatewayPath(other.target), r.gatewayPath(other.target)+"/x")
			}
		}
	}
	return paths
}

// overlapGateway runs tc's upstreams behind a gateway whose only user
// holds every capability and whose transport answers each request with
// the app URL it was sent to and the prefix of the upstream that sent it.
func overlapGateway(t *testing.T, tc overlapCase) *Gateway {
	t.Helper()
	no := false
	cfg := &Config{
		Auth: auth.Config{
			SecretKey:              "piYiEC8AatXLJZmnF1eFg3J4sxNlAfLzgyTk7zEoV6c",
			Prefix:                 tc.prefix,
			InsecureForceUser:      "ada@example.com",
			InsecureAllowForceUser: true,
			Capabilities: capabilities.Config{
				Graph:               map[string][]string{"read": {}, "write": {"read"}},
				DefaultCapabilities: []string{"admin"},
			},
			Logger: slog.New(slog.DiscardHandler),
		},
		Upstreams: slices.Clone(tc.ups),
		Transport: reachRecorder{},
	}
	for i := range cfg.Upstreams {
		cfg.Upstreams[i].LoginRedirect = &no
	}
	g, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	return g
}

// reachRecorder is an upstream transport that answers with the URL of
// the request and, in X-Reached-Prefix, the upstream that sent it.
type reachRecorder struct{}

func (reachRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	rs, _ := r.Context().Value(infoKey{}).(*reqState)
	if rs == nil {
		return nil, fmt.Errorf("no request info in the upstream request's context")
	}
	u := *r.URL
	u.RawQuery = ""
	return &http.Response{
		StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"X-Reached-Prefix": {rs.info.Upstream}},
		Body:    io.NopCloser(strings.NewReader(u.String())),
		Request: r,
	}, nil
}
