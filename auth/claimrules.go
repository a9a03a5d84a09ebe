package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/oauthgate/oauthgate/capabilities"
)

// ClaimRule is one entry of claim_capabilities: capabilities granted to
// a browser login (by its ID token's claims) or a machine client (by its
// JWT's claims) whose claims match.
type ClaimRule struct {
	// When maps claim names to the value each must have; every entry must
	// match. An array claim matches when it holds the value; strings,
	// numbers and booleans are compared as text ("3", "true"). Required.
	When map[string]string `yaml:"when"`
	// Grant are capabilities of the graph given on a match, with what
	// they imply. Required.
	Grant []string `yaml:"grant"`
}

// Bounds of the claims a session keeps: a cookie holds about 4 KiB, and
// an ID token's groups claim may name hundreds of groups.
const (
	maxKeptClaimBytes = 1024 // names and values of every kept claim
	maxClaimValue     = 256  // a longer value is never kept
)

// validateClaimRules checks claim_capabilities' syntax; capability names
// are checked by New against the graph.
func (c *Config) validateClaimRules() []error {
	var errs []error
	bad := func(key, reason string) {
		errs = append(errs, &ConfigError{Key: key, Reason: reason})
	}
	for i, r := range c.ClaimCapabilities {
		key := fmt.Sprintf("claim_capabilities[%d]", i)
		if len(r.When) == 0 {
			bad(key+".when", "missing: the claims to match, e.g. {username: xtof}")
		}
		for name, v := range r.When {
			switch {
			case name == "" || strings.ContainsAny(name, " \t\r\n"):
				bad(key+".when", fmt.Sprintf("%q is not a claim name", name))
			case v == "":
				bad(key+".when."+name, "empty value: name the value the claim must have")
			case len(v) > maxClaimValue:
				bad(key+".when."+name, fmt.Sprintf("longer than %d bytes", maxClaimValue))
			}
		}
		if len(r.Grant) == 0 {
			bad(key+".grant", "missing: the capabilities a match grants")
		}
	}
	return errs
}

// claimValues are the claims an identity keeps: each name's values as
// text (an array claim's scalar elements). Shared, never modified.
type claimValues map[string][]string

// has reports whether claim name holds one of values, or, without values,
// whether it is present.
func (cv claimValues) has(name string, values []string) bool {
	got, ok := cv[name]
	if !ok {
		return false
	}
	if len(values) == 0 {
		return true
	}
	for _, v := range values {
		if slices.Contains(got, v) {
			return true
		}
	}
	return false
}

// size is what the claims cost in a session cookie, roughly.
func (cv claimValues) size() int {
	n := 0
	for name, vs := range cv {
		n += len(name) + 2
		for _, v := range vs {
			n += len(v) + 1
		}
	}
	return n
}

// claimRules holds the compiled claim_capabilities and the claims that
// they and [Manager.RequireClaim] read: only those are kept from a token.
type claimRules struct {
	rules []compiledClaimRule
	log   *slog.Logger

	mu    sync.Mutex                                 // serialises want
	wants atomic.Pointer[map[string]map[string]bool] // claim → values named (empty: any)
}

type compiledClaimRule struct {
	when  map[string]string
	grant capabilities.Set // closed
}

// newClaimRules compiles claim_capabilities against graph; an unknown
// capability is a config error naming its key.
func newClaimRules(rules []ClaimRule, graph *capabilities.Graph, log *slog.Logger) (*claimRules, error) {
	cr := &claimRules{log: log}
	wants := map[string]map[string]bool{}
	var errs []error
	for i, r := range rules {
		set, err := graph.Set(r.Grant...)
		if err != nil {
			var unknown *capabilities.UnknownCapabilityError
			if !errors.As(err, &unknown) {
				return nil, err
			}
			j := slices.Index(r.Grant, unknown.Name)
			errs = append(errs, &ConfigError{Key: fmt.Sprintf("claim_capabilities[%d].grant[%d]", i, j),
				Reason: fmt.Sprintf("unknown capability %q", unknown.Name)})
			continue
		}
		cr.rules = append(cr.rules, compiledClaimRule{when: maps.Clone(r.When), grant: graph.Closure(set)})
		for name, v := range r.When {
			if wants[name] == nil {
				wants[name] = map[string]bool{}
			}
			wants[name][v] = true
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	cr.wants.Store(&wants)
	return cr, nil
}

// want adds a claim that [Manager.RequireClaim] reads, and the values it
// accepts (none: any value).
func (cr *claimRules) want(name string, values []string) {
	cr.mu.Lock()
	defer cr.mu.Unlock()
	next := maps.Clone(*cr.wants.Load())
	vs := maps.Clone(next[name])
	if vs == nil {
		vs = map[string]bool{}
	}
	for _, v := range values {
		vs[v] = true
	}
	next[name] = vs
	cr.wants.Store(&next)
}

// needed reports whether any claim is read at all.
func (cr *claimRules) needed() bool { return len(*cr.wants.Load()) > 0 }

// grant returns the capabilities that the rules give to claims.
func (cr *claimRules) grant(cv claimValues) capabilities.Set {
	var s capabilities.Set
	if len(cv) == 0 {
		return s
	}
rules:
	for _, r := range cr.rules {
		for name, v := range r.when {
			if !cv.has(name, []string{v}) {
				continue rules
			}
		}
		s = s.Union(r.grant)
	}
	return s
}

// keep picks from a token's claims those that are read, as raw values
// (not the grants they give, so that changed rules judge them anew),
// within the budget of [claimRules.trim].
func (cr *claimRules) keep(raw map[string]json.RawMessage, who string) claimValues {
	wants := *cr.wants.Load()
	if len(wants) == 0 || len(raw) == 0 {
		return nil
	}
	cv := claimValues{}
	for name := range wants {
		if vs, ok := claimText(raw[name]); ok {
			cv[name] = vs
		}
	}
	return cr.trim(cv, who)
}

// trim is the one selection of the claims an identity carries onward (a
// session, a user token, a re-check): only those that are read; when they
// exceed the budget, each keeps only the values that the rules name, and
// who is told so in the log. cv is not modified.
func (cr *claimRules) trim(cv claimValues, who string) claimValues {
	wants := *cr.wants.Load()
	out := claimValues{}
	for name, vs := range cv {
		if _, ok := wants[name]; ok {
			out[name] = vs
		}
	}
	if len(out) == 0 {
		return nil
	}
	if out.size() <= maxKeptClaimBytes {
		return out
	}
	for name, vs := range out {
		named := wants[name]
		kept := make([]string, 0, len(named))
		for _, v := range vs {
			if named[v] {
				kept = append(kept, v)
			}
		}
		if len(named) == 0 && len(vs) > 0 {
			kept = vs[:1] // only presence is asked
		}
		out[name] = kept
	}
	cr.log.Warn("auth: claims too large to keep whole; only the values the claim rules name are kept, so a rule naming another value applies at the next login",
		"who", who, "bytes", out.size())
	return out
}

// checkMinted checks claims given to [MintToken]: what a login would keep
// (names, value lengths, the budget), refused rather than cut.
func (cv claimValues) checkMinted() error {
	for name, vs := range cv {
		if name == "" || strings.ContainsAny(name, " \t\r\n") {
			return fmt.Errorf("%q is not a claim name", name)
		}
		for _, v := range vs {
			if len(v) > maxClaimValue {
				return fmt.Errorf("a value of claim %q is longer than %d bytes", name, maxClaimValue)
			}
		}
	}
	if n := cv.size(); n > maxKeptClaimBytes {
		return fmt.Errorf("claims of %d bytes; at most %d are kept", n, maxKeptClaimBytes)
	}
	return nil
}

// equal reports whether cv and o hold the same claims and values.
func (cv claimValues) equal(o claimValues) bool {
	return maps.EqualFunc(cv, o, slices.Equal)
}

// appendClaims encodes cv with the fields of fields.go: a count of
// names, then each name with a count of its values and the values.
func appendClaims(b []byte, cv claimValues) []byte {
	names := slices.Sorted(maps.Keys(cv))
	b = binary.AppendUvarint(b, uint64(len(names)))
	for _, name := range names {
		b = appendString(b, name)
		b = binary.AppendUvarint(b, uint64(len(cv[name])))
		for _, v := range cv[name] {
			b = appendString(b, v)
		}
	}
	return b
}

// readClaims reads what appendClaims wrote; none is nil.
func readClaims(r *fieldReader) claimValues {
	n := r.count()
	if n == 0 {
		return nil
	}
	cv := make(claimValues, n)
	for range n {
		name := r.str()
		vs := make([]string, r.count())
		for i := range vs {
			vs[i] = r.str()
		}
		cv[name] = vs
	}
	return cv
}

// A user token's envelope Extra starts with a format byte; format 1 is
// the claims that the token carries.
const tokenExtraClaims = 1

func tokenExtra(cv claimValues) []byte {
	if len(cv) == 0 {
		return nil
	}
	return appendClaims([]byte{tokenExtraClaims}, cv)
}

func claimsOfTokenExtra(extra []byte) (claimValues, error) {
	if len(extra) == 0 {
		return nil, nil
	}
	if extra[0] != tokenExtraClaims {
		return nil, fmt.Errorf("auth: token extra of unknown format %d", extra[0])
	}
	r := newFieldReader(extra[1:])
	cv := readClaims(r)
	if err := r.done(); err != nil {
		return nil, err
	}
	return cv, nil
}

// claimText returns a claim's value as text: a string, number or boolean
// as one value, an array as its scalar elements; ok is false for a
// missing claim, null or an object.
func claimText(raw json.RawMessage) ([]string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false
	}
	if raw[0] == '[' {
		var elems []json.RawMessage
		if json.Unmarshal(raw, &elems) != nil {
			return nil, false
		}
		vs := make([]string, 0, len(elems))
		for _, e := range elems {
			if v, ok := scalarText(e); ok {
				vs = append(vs, v)
			}
		}
		return vs, true
	}
	v, ok := scalarText(raw)
	if !ok {
		return nil, false
	}
	return []string{v}, true
}

func scalarText(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil || len(s) > maxClaimValue {
			return "", false
		}
		return s, true
	case c == 't' || c == 'f':
		var b bool
		if json.Unmarshal(raw, &b) != nil {
			return "", false
		}
		return fmt.Sprint(b), true
	case c == '-' || '0' <= c && c <= '9':
		var n json.Number
		if json.Unmarshal(raw, &n) != nil {
			return "", false
		}
		return n.String(), true
	}
	return "", false
}

// jwtClaims decodes the payload of a compact JWT that has been verified.
func jwtClaims(tok string) map[string]json.RawMessage {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	var raw map[string]json.RawMessage
	if json.Unmarshal(payload, &raw) != nil {
		return nil
	}
	return raw
}
