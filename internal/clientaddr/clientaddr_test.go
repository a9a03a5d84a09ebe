package clientaddr

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

func request(remote string, xff ...string) *http.Request {
	r := &http.Request{RemoteAddr: remote, Header: http.Header{}}
	for _, v := range xff {
		r.Header.Add("X-Forwarded-For", v)
	}
	return r
}

func TestClient(t *testing.T) {
	t.Parallel()
	proxies := Proxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	for _, tc := range []struct {
		name   string
		remote string
		xff    []string
		client string
		chain  string
		via    bool
	}{
		{"direct", "198.51.100.1:5000", nil, "198.51.100.1", "198.51.100.1", false},
		{"untrusted peer's header ignored", "198.51.100.1:5000", []string{"203.0.113.9"}, "198.51.100.1", "198.51.100.1", false},
		{"trusted proxy", "10.1.2.3:5000", []string{"203.0.113.9"}, "203.0.113.9", "203.0.113.9, 10.1.2.3", true},
		{"right-most untrusted hop", "10.1.2.3:5000", []string{"6.6.6.6, 203.0.113.9, 10.9.9.9"}, "203.0.113.9", "6.6.6.6, 203.0.113.9, 10.9.9.9, 10.1.2.3", true},
		{"several header lines", "10.1.2.3:5000", []string{"6.6.6.6", "203.0.113.9"}, "203.0.113.9", "6.6.6.6, 203.0.113.9, 10.1.2.3", true},
		{"all trusted: the left-most", "10.1.2.3:5000", []string{"10.0.0.1, 10.0.0.2"}, "10.0.0.1", "10.0.0.1, 10.0.0.2, 10.1.2.3", true},
		{"garbage hop ends the walk", "10.1.2.3:5000", []string{"203.0.113.9, junk"}, "10.1.2.3", "203.0.113.9, junk, 10.1.2.3", true},
		{"mapped IPv4 peer", "[::ffff:198.51.100.1]:5000", nil, "198.51.100.1", "198.51.100.1", false},
		{"IPv6 behind an IPv6 proxy", "[fd00::1]:5000", []string{"2001:db8::7"}, "2001:db8::7", "2001:db8::7, fd00::1", true},
		{"mapped hop", "10.1.2.3:5000", []string{"::ffff:203.0.113.9"}, "203.0.113.9", "::ffff:203.0.113.9, 10.1.2.3", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request(tc.remote, tc.xff...)
			c, ok := proxies.Client(r)
			if !ok || c.String() != tc.client {
				t.Errorf("Client = %v %v; want %s", c, ok, tc.client)
			}
			chain, client, via := proxies.Forwarded(r)
			if chain != tc.chain || client != tc.client || via != tc.via {
				t.Errorf("Forwarded = %q %q %v; want %q %q %v", chain, client, via, tc.chain, tc.client, tc.via)
			}
		})
	}
	r := request("@", "203.0.113.9")
	if c, ok := proxies.Client(r); ok || c.IsValid() {
		t.Errorf("a peer that is no address: %v %v", c, ok)
	}
	if chain, client, via := proxies.Forwarded(r); chain != "" || client != "@" || via {
		t.Errorf("a peer that is no address: Forwarded = %q %q %v", chain, client, via)
	}
}

func TestNetwork(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ addr, want string }{
		{"198.51.100.7", "198.51.100.7/32"},
		{"::ffff:198.51.100.7", "198.51.100.7/32"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::ffff", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
	} {
		if got := Network(netip.MustParseAddr(tc.addr)); got.String() != tc.want {
			t.Errorf("Network(%s) = %s; want %s", tc.addr, got, tc.want)
		}
	}
	if got := Network(netip.Addr{}); got.IsValid() {
		t.Errorf("Network of the zero Addr = %v", got)
	}
}

// FuzzClient: whatever the peer and X-Forwarded-For, the client is the peer
// or one of the header's addresses, never a panic; an untrusted peer is
// always its own client.
func FuzzClient(f *testing.F) {
	f.Add("10.1.2.3:5000", "203.0.113.9, 10.9.9.9")
	f.Add("198.51.100.1:1", "1.2.3.4")
	f.Add("[fd00::1]:80", "::ffff:1.2.3.4,,junk")
	f.Add("x", "")
	proxies := Proxies{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	f.Fuzz(func(t *testing.T, remote, xff string) {
		r := request(remote, xff)
		c, ok := proxies.Client(r)
		peer, isAddr := Peer(r)
		if ok != isAddr {
			t.Fatalf("Client ok %v, Peer ok %v", ok, isAddr)
		}
		if !ok {
			return
		}
		if !proxies.Trusted(peer) && c != peer {
			t.Fatalf("untrusted peer %v gave client %v", peer, c)
		}
		if c != peer {
			found := false
			for hop := range strings.SplitSeq(xff, ",") {
				if h, err := netip.ParseAddr(strings.TrimSpace(hop)); err == nil && h.Unmap() == c {
					found = true
				}
			}
			if !found {
				t.Fatalf("client %v is neither the peer %v nor in %q", c, peer, xff)
			}
		}
		if _, client, _ := proxies.Forwarded(r); client != c.String() {
			t.Fatalf("Forwarded's client %q, Client's %v", client, c)
		}
	})
}
