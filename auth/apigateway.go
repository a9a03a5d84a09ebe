package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// GatewayEvent is the input of an AWS API Gateway Lambda authorizer, with
// AWS's JSON field names: a REST TOKEN event (type, authorizationToken,
// methodArn), a REST REQUEST event (headers), or a WebSocket $connect
// REQUEST event (requestContext, and the token as the second value of the
// Sec-WebSocket-Protocol header). Fields the authorizer does not use are
// not listed; JSON decoding ignores them.
type GatewayEvent struct {
	// Type is "TOKEN" or "REQUEST".
	Type string `json:"type"`
	// AuthorizationToken is the TOKEN event's token source, with or
	// without "Bearer ".
	AuthorizationToken string `json:"authorizationToken,omitempty"`
	// MethodArn is the ARN of the method (REST) or route (WebSocket)
	// called.
	MethodArn string `json:"methodArn"`
	// Headers are the REQUEST event's headers; names are matched without
	// regard to case.
	Headers map[string]string `json:"headers,omitempty"`
	// RequestContext describes the call; a WebSocket event has EventType
	// ("CONNECT") and RouteKey ("$connect").
	RequestContext GatewayRequestContext `json:"requestContext,omitzero"`
}

// GatewayRequestContext is the part of an event's requestContext the
// authorizer reads.
type GatewayRequestContext struct {
	Stage        string `json:"stage,omitempty"`
	APIID        string `json:"apiId,omitempty"`
	EventType    string `json:"eventType,omitempty"`
	RouteKey     string `json:"routeKey,omitempty"`
	ConnectionID string `json:"connectionId,omitempty"`
}

// GatewayResponse is a Lambda authorizer's answer, with AWS's JSON field
// names. Context values are strings only (TOKEN authorizers allow no
// other type): lists are JSON-encoded.
type GatewayResponse struct {
	PrincipalID    string            `json:"principalId"`
	PolicyDocument PolicyDocument    `json:"policyDocument"`
	Context        map[string]string `json:"context,omitempty"`
}

// PolicyDocument is an IAM policy of execute-api:Invoke statements.
type PolicyDocument struct {
	Version   string            `json:"Version"`
	Statement []PolicyStatement `json:"Statement"`
}

// PolicyStatement allows or denies invoking its resources.
type PolicyStatement struct {
	Action   string   `json:"Action"`
	Effect   string   `json:"Effect"`
	Resource []string `json:"Resource"`
}

// Values of the policy documents.
const (
	PolicyVersion = "2012-10-17"
	InvokeAction  = "execute-api:Invoke"
	EffectAllow   = "Allow"
	EffectDeny    = "Deny"
)

// ErrGatewayUnauthorized is the answer to an event without a valid token.
// Its message is exactly "Unauthorized": a Lambda authorizer that fails
// with that message makes API Gateway answer 401.
var ErrGatewayUnauthorized = errors.New("Unauthorized")

// GatewayUnauthorizedError is the error of [Manager.AuthorizeGateway] for
// a missing or invalid token: its message is "Unauthorized" (nothing
// about the cause reaches the caller), errors.Is finds
// [ErrGatewayUnauthorized] and the cause ([ErrNoIdentity],
// [ErrTokenInvalid], [ErrTokenExpired], …) for logs.
type GatewayUnauthorizedError struct {
	Cause error
}

func (e *GatewayUnauthorizedError) Error() string        { return ErrGatewayUnauthorized.Error() }
func (e *GatewayUnauthorizedError) Unwrap() error        { return e.Cause }
func (e *GatewayUnauthorizedError) Is(target error) bool { return target == ErrGatewayUnauthorized }

// IsWebSocket reports whether ev is a WebSocket connection's event: it has
// a requestContext.eventType or a Sec-WebSocket-Protocol header.
func (ev *GatewayEvent) IsWebSocket() bool {
	_, ok := ev.header("Sec-WebSocket-Protocol")
	return ok || ev.RequestContext.EventType != ""
}

// Token returns the event's bearer token: the TOKEN event's
// authorizationToken, else the second value of Sec-WebSocket-Protocol,
// else the Authorization header; a "Bearer " scheme is removed. ok is
// false when there is none.
func (ev *GatewayEvent) Token() (tok string, ok bool) {
	raw := ev.AuthorizationToken
	if !strings.EqualFold(ev.Type, "TOKEN") || raw == "" {
		raw = ""
		if proto, ok := ev.header("Sec-WebSocket-Protocol"); ok {
			values := strings.Split(proto, ",")
			if len(values) < 2 {
				return "", false
			}
			raw = values[1]
		} else if v, ok := ev.header("Authorization"); ok {
			raw = v
		}
	}
	raw = strings.TrimSpace(raw)
	if len(raw) > 7 && strings.EqualFold(raw[:7], "bearer ") {
		raw = strings.TrimSpace(raw[7:])
	}
	if raw == "" || len(raw) > maxGatewayToken || strings.ContainsAny(raw, " \t\r\n") {
		return "", false
	}
	return raw, true
}

// maxGatewayToken bounds a token (API Gateway itself caps headers at 10 KiB).
const maxGatewayToken = 16 << 10

// header returns the value of header name, whatever the case of its key.
func (ev *GatewayEvent) header(name string) (string, bool) {
	if v, ok := ev.Headers[name]; ok {
		return v, true
	}
	for k, v := range ev.Headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

// gatewayAuthorizer is the state of AuthorizeGateway: the merged auth
// mappings and the verified tokens per audience.
type gatewayAuthorizer struct {
	cfg      GatewayAuthorizerConfig
	mappings map[string][]AuthMapping
	keys     []string // of mappings, sorted: statements in a stable order

	mu    sync.RWMutex
	cache map[gatewayKey]*gatewayEntry
}

// gatewayKey is a token verified for an audience.
type gatewayKey struct{ aud, tok string }

// gatewayEntry is a verified token's identity and authorizer context
// (copied into each response).
type gatewayEntry struct {
	id      *Identity
	context map[string]string
	exp     time.Time
	own     *ownCheck // nil for tokens of other issuers
}

// initGateway reads AUTH0_AUTH_MAPPINGS and prepares AuthorizeGateway;
// without jwt_issuers there is nothing to verify and nothing is read.
func (m *Manager) initGateway() error {
	if m.machine == nil {
		return nil
	}
	env, err := loadEnvAuthMappings()
	if err != nil {
		return err
	}
	g := &gatewayAuthorizer{cfg: m.cfg.GatewayAuthorizer, cache: map[gatewayKey]*gatewayEntry{}}
	g.mappings = mergeAuthMappings(g.cfg.AuthMappings, env)
	for k := range g.mappings {
		g.keys = append(g.keys, k)
	}
	sort.Strings(g.keys)
	m.gateway = g
	return nil
}

// AuthorizeGateway answers an AWS API Gateway Lambda authorizer event, as
// simple_oauth_server's validator does:
//
//   - the token (see [GatewayEvent.Token]) must be a JWT of one of the
//     jwt_issuers, or a client-credentials token of our own grant (whose
//     client must still exist and be enabled), for the audience of
//     gateway_authorizer.audience (by default the methodArn's stage); our
//     own user and service tokens are not accepted here. Without a valid token the error is a
//     [*GatewayUnauthorizedError] whose message is "Unauthorized" (API
//     Gateway answers 401);
//   - a REST call needs the scope [DerivedScope] gives for the methodArn's
//     method and path, granted by the token's scope claim (with the
//     "action:*", "*" and "*:*" wildcards) or its permissions; a token
//     without a scope claim is not checked against scopes unless it has
//     permissions. A WebSocket connection needs
//     gateway_authorizer.websocket_scope, if set. A token lacking the
//     scope gets a Deny policy on the methodArn (API Gateway answers 403),
//     with required_scope in the context;
//   - an allowed call gets an Allow policy on the methodArn, plus one
//     Allow statement per auth mapping the token holds (its permissions,
//     and "principalId" for everyone): REST mappings for REST calls,
//     route keys for WebSocket ones, as ARNs under the methodArn's
//     API and stage.
//
// principalId is the token's sub. The context holds strings only: sub,
// scope and scopes (the scope claim), and roles, groups and permissions
// as JSON arrays.
//
// A malformed methodArn is an error other than Unauthorized (API Gateway
// answers 500): it comes from the gateway, not the caller.
func (m *Manager) AuthorizeGateway(ctx context.Context, ev GatewayEvent) (*GatewayResponse, error) {
	g := m.gateway
	if g == nil {
		return nil, errors.New("auth: AuthorizeGateway: no jwt_issuers are configured, nor the client-credentials grant")
	}
	arn, err := ParseMethodARN(ev.MethodArn)
	if err != nil {
		return nil, err
	}
	ws := ev.IsWebSocket()
	scope, scopeOK := g.cfg.WebSocketScope, true
	if !ws {
		method, path, err := arn.MethodPath()
		if err != nil {
			return nil, err
		}
		scope, scopeOK = DerivedScope(method, path, "")
	}
	tok, ok := ev.Token()
	if !ok {
		return nil, &GatewayUnauthorizedError{Cause: fmt.Errorf("auth: no bearer token in the event: %w", ErrNoIdentity)}
	}
	e, err := m.gatewayIdentity(ctx, tok, arn.Stage)
	if err != nil {
		m.log.Debug("auth: gateway authorizer refused a token", "methodArn", ev.MethodArn, "err", err)
		return nil, &GatewayUnauthorizedError{Cause: err}
	}
	mi := e.id.machine
	resp := &GatewayResponse{
		PrincipalID:    e.id.Subject,
		PolicyDocument: PolicyDocument{Version: PolicyVersion},
		Context:        maps.Clone(e.context),
	}
	if !scopeOK || scope != "" && !scopeGrants(mi, scope) {
		resp.Context["required_scope"] = scope
		resp.PolicyDocument.Statement = []PolicyStatement{{Action: InvokeAction, Effect: EffectDeny, Resource: []string{ev.MethodArn}}}
		return resp, nil
	}
	resp.PolicyDocument.Statement = append(resp.PolicyDocument.Statement,
		PolicyStatement{Action: InvokeAction, Effect: EffectAllow, Resource: []string{ev.MethodArn}})
	base := arn.Base()
	for _, perm := range g.keys {
		if perm != EveryCallerMapping && !contains(mi.Permissions, perm) {
			continue
		}
		var res []string
		for _, e := range g.mappings[perm] {
			var r string
			switch {
			case ws && e.RouteKey != "":
				r = base + e.RouteKey
			case !ws && e.RouteKey == "":
				r = e.restARN(base)
			default:
				continue
			}
			if !contains(res, r) {
				res = append(res, r)
			}
		}
		if len(res) > 0 {
			resp.PolicyDocument.Statement = append(resp.PolicyDocument.Statement,
				PolicyStatement{Action: InvokeAction, Effect: EffectAllow, Resource: res})
		}
	}
	return resp, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// gatewayContext is the authorizer context of a machine token.
func gatewayContext(sub string, mi *Machine) map[string]string {
	list := func(l []string) string {
		if l == nil {
			l = []string{}
		}
		b, _ := json.Marshal(l)
		return string(b)
	}
	scope := strings.Join(mi.Scopes, " ")
	return map[string]string{
		"sub": sub, "scope": scope, "scopes": scope,
		"roles": list(mi.Roles), "groups": list(mi.Groups), "permissions": list(mi.Permissions),
	}
}

// errNotMachineToken refuses a token that is not a JWT of a configured
// issuer.
var errNotMachineToken = fmt.Errorf("auth: not a JWT of a configured issuer: %w", ErrTokenInvalid)

// gatewayIdentity verifies tok for the audience of the configuration and
// the event's stage, from the cache when possible.
func (m *Manager) gatewayIdentity(ctx context.Context, tok, stage string) (*gatewayEntry, error) {
	g := m.gateway
	aud := g.cfg.Audience
	switch aud {
	case GatewayAudienceIssuer:
		id, handled, err := m.machineBearer(ctx, tok)
		if !handled {
			return nil, errNotMachineToken
		}
		if err != nil {
			return nil, err
		}
		return &gatewayEntry{id: id, context: gatewayContext(id.Subject, id.machine)}, nil
	case GatewayAudienceStage:
		aud = stage
	}
	key := gatewayKey{aud, tok}
	now := m.now()
	g.mu.RLock()
	e := g.cache[key]
	g.mu.RUnlock()
	if e != nil && now.Before(e.exp) {
		if err := m.recheckOwn(ctx, e.own); err != nil {
			return nil, err
		}
		return e, nil
	}
	iss, ok := jwtIssuerOf(tok)
	if !ok {
		return nil, errNotMachineToken
	}
	j := m.machine.issuers[iss]
	if j == nil {
		return nil, errNotMachineToken
	}
	own, ver := m.ownIssuer(iss)
	c, err := j.verifyAudience(ctx, tok, now, aud)
	if err != nil {
		return nil, err
	}
	id := m.clientIdentity(c)
	e = &gatewayEntry{id: id, context: gatewayContext(id.Subject, id.machine), exp: c.ExpiresAt, own: m.newOwnCheck(c, own, ver)}
	g.mu.Lock()
	if len(g.cache) >= defaultCacheEntries {
		for k, e := range g.cache {
			if !now.Before(e.exp) {
				delete(g.cache, k)
			}
		}
		if len(g.cache) >= defaultCacheEntries {
			clear(g.cache)
		}
	}
	g.cache[gatewayKey{strings.Clone(aud), strings.Clone(tok)}] = e
	g.mu.Unlock()
	return e, nil
}

// maxAudienceVerifiers bounds the verifiers kept per issuer for gateway
// audiences (one per stage in practice).
const maxAudienceVerifiers = 64

// verifyAudience is verify for another audience than the configured one.
func (j *jwtIssuer) verifyAudience(ctx context.Context, tok string, now time.Time, aud string) (*machineClaims, error) {
	if aud == j.cfg.Audience {
		return j.verify(ctx, tok, now)
	}
	if _, err := j.getVerifier(ctx); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrTokenInvalid, err)
	}
	j.mu.Lock()
	v := j.byAudience[aud]
	if v == nil {
		if j.byAudience == nil || len(j.byAudience) >= maxAudienceVerifiers {
			j.byAudience = map[string]*oidc.IDTokenVerifier{}
		}
		v = j.newVerifier(aud)
		j.byAudience[aud] = v
	}
	j.mu.Unlock()
	return j.check(ctx, v, tok, now)
}
