package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sort"
	"strings"
	"sync"
	"time"
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

// gatewayVerifier verifies the tokens of the events: a [*Manager].
type gatewayVerifier interface {
	VerifyMachineToken(ctx context.Context, token, audience string) (*Identity, error)
}

// maxGatewayContexts bounds the authorizer contexts kept, one per verified
// token.
const maxGatewayContexts = 100_000

// gatewayAuthorizer answers AWS API Gateway Lambda authorizer events with
// the identities its verifier gives: the merged auth mappings, and the
// authorizer context of each identity (identities are shared and
// immutable, so the context is computed once per verified token).
type gatewayAuthorizer struct {
	cfg      GatewayAuthorizerConfig
	verifier gatewayVerifier
	log      *slog.Logger
	now      func() time.Time
	mappings map[string][]AuthMapping
	keys     []string // of mappings, sorted: statements in a stable order

	mu       sync.RWMutex
	contexts map[*Identity]map[string]string
}

// newGatewayAuthorizer reads AUTH0_AUTH_MAPPINGS and returns the
// authorizer of cfg; cfg has been validated. log and now may be nil
// (slog.Default(), time.Now).
func newGatewayAuthorizer(cfg GatewayAuthorizerConfig, v gatewayVerifier, log *slog.Logger, now func() time.Time) (*gatewayAuthorizer, error) {
	env, err := loadEnvAuthMappings()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	g := &gatewayAuthorizer{cfg: cfg, verifier: v, log: log, now: now, contexts: map[*Identity]map[string]string{}}
	g.mappings = mergeAuthMappings(cfg.AuthMappings, env)
	for k := range g.mappings {
		g.keys = append(g.keys, k)
	}
	sort.Strings(g.keys)
	return g, nil
}

// authorize answers an event: see [Manager.AuthorizeGateway].
func (g *gatewayAuthorizer) authorize(ctx context.Context, ev GatewayEvent) (*GatewayResponse, error) {
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
	id, err := g.verifier.VerifyMachineToken(ctx, tok, g.audience(arn.Stage))
	if err == nil && id.Machine() == nil {
		err = fmt.Errorf("auth: not a machine token: %w", ErrTokenInvalid)
	}
	if err != nil {
		g.log.Debug("auth: gateway authorizer refused a token", "methodArn", ev.MethodArn, "err", err)
		return nil, &GatewayUnauthorizedError{Cause: err}
	}
	mi := id.Machine()
	resp := &GatewayResponse{
		PrincipalID:    id.Subject,
		PolicyDocument: PolicyDocument{Version: PolicyVersion},
		Context:        maps.Clone(g.contextOf(id)),
	}
	if !scopeOK || scope != "" && !mi.Grants(scope) {
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

// audience is the audience a token of an event on stage must carry
// (see [GatewayAuthorizerConfig.Audience]); "" asks for the issuer's own.
func (g *gatewayAuthorizer) audience(stage string) string {
	switch g.cfg.Audience {
	case GatewayAudienceStage:
		return stage
	case GatewayAudienceIssuer:
		return ""
	}
	return g.cfg.Audience
}

// contextOf returns the authorizer context of id, computed once per
// identity. The caller must not modify it.
func (g *gatewayAuthorizer) contextOf(id *Identity) map[string]string {
	g.mu.RLock()
	c, ok := g.contexts[id]
	g.mu.RUnlock()
	if ok {
		return c
	}
	c = gatewayContext(id.Subject, id.Machine())
	g.mu.Lock()
	if len(g.contexts) >= maxGatewayContexts {
		now := g.now()
		for old := range g.contexts {
			if !now.Before(old.ExpiresAt) {
				delete(g.contexts, old)
			}
		}
		if len(g.contexts) >= maxGatewayContexts {
			clear(g.contexts)
		}
	}
	g.contexts[id] = c
	g.mu.Unlock()
	return c
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
