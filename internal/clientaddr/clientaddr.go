// Package clientaddr says which address a request comes from: the TCP
// peer, or, when the peer is a trusted reverse proxy, the address that
// proxy saw (X-Forwarded-For). Logs, forwarded headers and throttling all
// use it, so that they agree on who the client is.
package clientaddr

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the trusted reverse proxies in front of the server
// (trusted_proxies). The zero value trusts none: the TCP peer is the client.
type Proxies []netip.Prefix

// ParseProxies parses trusted_proxies: addresses or CIDR ranges; a single
// address becomes a one-address prefix. Entries that do not parse are
// skipped (configuration validation refuses them with [ParseProxy]).
func ParseProxies(list []string) Proxies {
	var out Proxies
	for _, s := range list {
		if p, err := ParseProxy(s); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// ParseProxy parses one trusted_proxies entry.
func ParseProxy(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Trusted reports whether a is one of the proxies.
func (p Proxies) Trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, pre := range p {
		if pre.Contains(a) {
			return true
		}
	}
	return false
}

// Peer returns the TCP peer's address of r; false when RemoteAddr is not
// an IP address (a Unix socket, a test's hand-made request).
func Peer(r *http.Request) (netip.Addr, bool) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	return a.Unmap(), err == nil
}

// Client returns the client's address of r: the TCP peer; or, when the peer
// is a trusted proxy that sent X-Forwarded-For, the right-most address of
// the chain that is not a trusted proxy (the left-most when all are). A
// hop that is not an address ends the walk, so the address before it, as
// seen by a trusted proxy, is the client. false when the peer is not an IP
// address.
func (p Proxies) Client(r *http.Request) (netip.Addr, bool) {
	a, ok := Peer(r)
	if !ok {
		return netip.Addr{}, false
	}
	c, _ := p.client(a, r.Header.Values("X-Forwarded-For"))
	return c, true
}

// client returns the client behind peer given the X-Forwarded-For lines,
// and whether they were believed.
func (p Proxies) client(peer netip.Addr, prior []string) (netip.Addr, bool) {
	if len(prior) == 0 || !p.Trusted(peer) {
		return peer, false
	}
	client := peer
	for i := len(prior) - 1; i >= 0; i-- {
		hops := strings.Split(prior[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			h, err := netip.ParseAddr(strings.TrimSpace(hops[j]))
			if err != nil {
				return client, true
			}
			client = h.Unmap()
			if !p.Trusted(client) {
				return client, true
			}
		}
	}
	return client, true
}

// Forwarded returns the X-Forwarded-For value to send upstream and the
// client's address (see [Proxies.Client]). The incoming X-Forwarded-For is
// kept (and the peer appended) only when the peer is a trusted proxy;
// otherwise the peer is the client and the whole chain starts with it.
// When the peer is not an IP address, xff is empty and client is
// r.RemoteAddr.
func (p Proxies) Forwarded(r *http.Request) (xff, client string, viaProxy bool) {
	a, ok := Peer(r)
	if !ok {
		return "", r.RemoteAddr, false
	}
	prior := r.Header.Values("X-Forwarded-For")
	c, believed := p.client(a, prior)
	if !believed {
		peer := a.String()
		return peer, peer, false
	}
	return strings.Join(prior, ", ") + ", " + a.String(), c.String(), true
}

// Network returns the block of addresses one client is taken to hold: the
// address itself for IPv4, its /64 for IPv6 (the smallest block a
// provider hands out, so an attacker has a whole one). The zero Addr
// gives the zero Prefix.
func Network(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	switch {
	case a.Is4():
		return netip.PrefixFrom(a, 32)
	case a.Is6():
		p, _ := a.WithZone("").Prefix(64)
		return p
	}
	return netip.Prefix{}
}
