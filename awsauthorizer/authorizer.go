package awsauthorizer

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

	"github.com/oauthgate/oauthgate/auth"
)

// Verifier verifies the machine tokens of the events: an *auth.Manager
// (see [auth.Manager.VerifyMachineToken]), which accepts the JWTs of its
// jwt_issuers and of its MachineIssuers (such as the app's own
// client-credentials grant).
type Verifier interface {
	VerifyMachineToken(ctx context.Context, token, audience string) (*auth.Identity, error)
}

// Options are what the authorizer is given from Go besides its
// configuration. The zero value works.
type Options struct {
	// Logger receives the refusals, at Debug level. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock that ages the cached contexts. Default time.Now.
	Now func() time.Time
}

// maxContexts bounds the authorizer contexts kept, one per verified
// token.
const maxContexts = 100_000

// Authorizer answers AWS API Gateway Lambda authorizer events with the
// identities its verifier gives: the merged auth mappings, and the
// authorizer context of each identity (identities are shared and
// immutable, so the context is computed once per verified token). Create
// it with [New]; it is safe for concurrent use.
type Authorizer struct {
	cfg      Config
	verifier Verifier
	log      *slog.Logger
	now      func() time.Time
	mappings map[string][]AuthMapping
	keys     []string // of mappings, sorted: statements in a stable order

	mu       sync.RWMutex
	contexts map[*auth.Identity]map[string]string
}

// New checks cfg ([Config.CheckConfig]), reads AUTH0_AUTH_MAPPINGS and
// returns the authorizer verifying tokens with v. A malformed
// AUTH0_AUTH_MAPPINGS is a *auth.ConfigError naming the variable.
func New(cfg *Config, v Verifier, opts Options) (*Authorizer, error) {
	if v == nil {
		return nil, errors.New("awsauthorizer: New: nil verifier")
	}
	var c Config
	if cfg != nil {
		c = *cfg
	}
	if err := c.CheckConfig(nil); err != nil {
		return nil, err
	}
	env, err := loadEnvAuthMappings()
	if err != nil {
		return nil, err
	}
	g := &Authorizer{cfg: c, verifier: v, log: opts.Logger, now: opts.Now, contexts: map[*auth.Identity]map[string]string{}}
	if g.log == nil {
		g.log = slog.Default()
	}
	if g.now == nil {
		g.now = time.Now
	}
	g.mappings = mergeAuthMappings(c.AuthMappings, env)
	for k := range g.mappings {
		g.keys = append(g.keys, k)
	}
	sort.Strings(g.keys)
	return g, nil
}

// Authorize answers an AWS API Gateway Lambda authorizer event, as
// simple_oauth_server's validator does:
//
//   - the token (see [Event.Token]) must be a machine token that the
//     verifier accepts for the audience of [Config.Audience] (by default
//     the methodArn's stage); with an *auth.Manager, a JWT of one of its
//     jwt_issuers or MachineIssuers, never a user or service token.
//     Without a valid token the error is an [*UnauthorizedError] whose
//     message is "Unauthorized" (API Gateway answers 401), or with
//     invalid_token: deny a Deny policy (403, see [Config.InvalidToken]);
//   - a REST call needs the scope [auth.DerivedScope] gives for the
//     methodArn's method and path, granted by the token
//     ([auth.Machine.Grants]). A WebSocket connection needs
//     [Config.WebSocketScope], if set. A token lacking the scope gets a
//     Deny policy on the methodArn (API Gateway answers 403), with
//     required_scope in the context;
//   - an allowed call gets an Allow policy on the methodArn, plus one
//     Allow statement per auth mapping the token holds (its permissions,
//     and "principalId" for everyone): REST mappings for REST calls,
//     route keys for WebSocket ones, as ARNs under the methodArn's API
//     and stage.
//
// With policy_resource: api ([Config.PolicyResource]) the answer does not
// depend on the event's route: Allow on every route the token's scopes
// open plus its auth mappings, or a Deny on the whole stage when that is
// nothing, and no required_scope.
//
// principalId is the token's sub. The context holds strings only: sub,
// scope and scopes (the scope claim), and roles, groups and permissions
// as JSON arrays.
//
// A malformed methodArn, and a token that could not be checked because
// a store or the issuer is unavailable, are errors other than
// Unauthorized (API Gateway answers 500): the caller is not at fault,
// and a 401 would tell it to drop a good token.
func (g *Authorizer) Authorize(ctx context.Context, ev Event) (*Response, error) {
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
		scope, scopeOK = auth.DerivedScope(method, path, "")
	}
	tok, ok := ev.Token()
	if !ok {
		return g.refuse(arn, &UnauthorizedError{Cause: fmt.Errorf("awsauthorizer: no bearer token in the event: %w", auth.ErrNoIdentity)})
	}
	id, err := g.verifier.VerifyMachineToken(ctx, tok, g.audience(arn.Stage))
	if err == nil && id.Machine() == nil {
		err = fmt.Errorf("awsauthorizer: not a machine token: %w", auth.ErrTokenInvalid)
	}
	if err != nil {
		if auth.ErrorOf(err).Status >= 500 {
			return nil, fmt.Errorf("awsauthorizer: the token could not be checked: %w", err)
		}
		g.log.Debug("awsauthorizer: token refused", "methodArn", ev.MethodArn, "err", err)
		return g.refuse(arn, &UnauthorizedError{Cause: err})
	}
	mi := id.Machine()
	resp := &Response{
		PrincipalID:    id.Subject,
		PolicyDocument: PolicyDocument{Version: PolicyVersion},
		Context:        maps.Clone(g.contextOf(id)),
	}
	granted := scopeOK && (scope == "" || mi.Grants(scope))
	if g.cfg.PolicyResource == PolicyResourceAPI {
		// One answer for every route: no route's scope decides it, and
		// no required_scope, which API Gateway would cache with it.
		if !granted {
			g.log.Debug("awsauthorizer: route not granted", "methodArn", ev.MethodArn, "required_scope", scope)
		}
		var st []Statement
		if res := scopeResources(arn.Base(), ws, g.cfg.WebSocketScope, mi); len(res) > 0 {
			st = append(st, Statement{Action: InvokeAction, Effect: EffectAllow, Resource: res})
		}
		st = append(st, g.mappingStatements(arn.Base(), ws, mi)...)
		if len(st) == 0 {
			st = []Statement{{Action: InvokeAction, Effect: EffectDeny, Resource: []string{arn.Base() + "*"}}}
		}
		resp.PolicyDocument.Statement = st
		return resp, nil
	}
	if !granted {
		resp.Context["required_scope"] = scope
		resp.PolicyDocument.Statement = []Statement{{Action: InvokeAction, Effect: EffectDeny, Resource: []string{ev.MethodArn}}}
		return resp, nil
	}
	resp.PolicyDocument.Statement = append([]Statement{{Action: InvokeAction, Effect: EffectAllow, Resource: []string{ev.MethodArn}}},
		g.mappingStatements(arn.Base(), ws, mi)...)
	return resp, nil
}

// AnonymousPrincipal is the principalId of the Deny policy answering a
// missing or invalid token when [Config.InvalidToken] is "deny".
const AnonymousPrincipal = "anonymous"

// refuse answers a missing or invalid token as [Config.InvalidToken]
// says: unauthorized (the error) or an explicit Deny on the policy's
// resource.
func (g *Authorizer) refuse(arn MethodARN, unauthorized *UnauthorizedError) (*Response, error) {
	if g.cfg.InvalidToken != InvalidTokenDeny {
		return nil, unauthorized
	}
	res := arn.String()
	if g.cfg.PolicyResource == PolicyResourceAPI {
		res = arn.Base() + "*"
	}
	return &Response{
		PrincipalID: AnonymousPrincipal,
		PolicyDocument: PolicyDocument{Version: PolicyVersion, Statement: []Statement{
			{Action: InvokeAction, Effect: EffectDeny, Resource: []string{res}},
		}},
		Context: map[string]string{"error": "invalid_token"},
	}, nil
}

// mappingStatements returns one Allow statement per auth mapping that mi
// holds ("principalId" for everyone), under base: REST mappings for REST
// calls, route keys for WebSocket ones.
func (g *Authorizer) mappingStatements(base string, ws bool, mi *auth.Machine) []Statement {
	var out []Statement
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
			out = append(out, Statement{Action: InvokeAction, Effect: EffectAllow, Resource: res})
		}
	}
	return out
}

// audience is the audience a token of an event on stage must carry
// (see [Config.Audience]); "" asks for the issuer's own.
func (g *Authorizer) audience(stage string) string {
	switch g.cfg.Audience {
	case AudienceStage:
		return stage
	case AudienceIssuer:
		return ""
	}
	return g.cfg.Audience
}

// contextOf returns the authorizer context of id, computed once per
// identity. The caller must not modify it.
func (g *Authorizer) contextOf(id *auth.Identity) map[string]string {
	g.mu.RLock()
	c, ok := g.contexts[id]
	g.mu.RUnlock()
	if ok {
		return c
	}
	c = authorizerContext(id.Subject, id.Machine())
	g.mu.Lock()
	if len(g.contexts) >= maxContexts {
		now := g.now()
		for old := range g.contexts {
			if !now.Before(old.ExpiresAt) {
				delete(g.contexts, old)
			}
		}
		if len(g.contexts) >= maxContexts {
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

// authorizerContext is the authorizer context of a machine token.
func authorizerContext(sub string, mi *auth.Machine) map[string]string {
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
