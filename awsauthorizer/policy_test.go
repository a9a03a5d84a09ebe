package awsauthorizer_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/auth"
	"github.com/oauthgate/oauthgate/awsauthorizer"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

const testAPI = "arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/"

// iamMatch reports whether resource matches an IAM resource pattern: "*"
// is any run of characters ("/" included), "?" any one character.
func iamMatch(pattern, resource string) bool {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String()).MatchString(resource)
}

// evaluate is API Gateway's decision on arn under a policy: an explicit
// Deny wins, then an Allow, else the implicit deny.
func evaluate(resp *awsauthorizer.Response, arn string) bool {
	allowed := false
	for _, s := range resp.PolicyDocument.Statement {
		for _, r := range s.Resource {
			if iamMatch(r, arn) {
				if s.Effect == awsauthorizer.EffectDeny {
					return false
				}
				allowed = true
			}
		}
	}
	return allowed
}

// The IAM matcher of these tests is IAM's: "*" crosses slashes.
func TestIAMMatch(t *testing.T) {
	for _, tc := range []struct {
		p, r string
		ok   bool
	}{
		{testAPI + "GET/pets/*", testAPI + "GET/pets/7/toys", true},
		{testAPI + "GET/pets/*", testAPI + "GET/pets", false},
		{testAPI + "GET/pets", testAPI + "GET/petshop", false},
		{testAPI + "*/*", testAPI + "$connect", false},
		{testAPI + "*", testAPI + "$connect", true},
		{testAPI + "GET/?", testAPI + "GET/a", true},
	} {
		if iamMatch(tc.p, tc.r) != tc.ok {
			t.Errorf("%s ~ %s: want %v", tc.p, tc.r, tc.ok)
		}
	}
}

// policyRoutes are the REST routes the policy tests try.
var policyRoutes = []string{
	"GET/pets", "GET/pets/7", "HEAD/pets", "GET/pets/7/toys", "GET/petshop", "GET/", "POST/pets", "PUT/pets/7",
	"PATCH/pets/7", "DELETE/pets/7", "OPTIONS/pets", "PUT/owners/1", "DELETE/owners", "GET/owners",
}

// With policy_resource: api, one answer, given for any route, is what
// API Gateway caches for every route: its decision on each route must be
// the decision the method mode gives for that route's own event.
func TestPolicyResourceAPIMatchesMethodMode(t *testing.T) {
	t.Setenv(awsauthorizer.AuthMappingsEnv, "")
	noMappings := func(c *auth.Config, az *awsauthorizer.Config) { az.AuthMappings = nil }
	method := newGatewayEnv(t, noMappings)
	api := newGatewayEnv(t, func(c *auth.Config, az *awsauthorizer.Config) {
		noMappings(c, az)
		az.PolicyResource = "API"
	})
	ctx := context.Background()
	for _, client := range []string{"reader", "cron", "auditor", "star", "readall", "bare", "rootreader"} {
		tok, err := api.idp.Provider.MintClientToken(client)
		if err != nil {
			t.Fatal(err)
		}
		var first *awsauthorizer.Response
		for _, eventRoute := range policyRoutes {
			resp, err := api.az.Authorize(ctx, awsauthorizer.Event{Type: "TOKEN", AuthorizationToken: tok, MethodArn: testAPI + eventRoute})
			if err != nil {
				t.Fatalf("%s on %s: %v", client, eventRoute, errors.Unwrap(err))
			}
			if _, ok := resp.Context["required_scope"]; ok {
				t.Errorf("%s on %s: required_scope in a cached answer", client, eventRoute)
			}
			if first == nil {
				first = resp
			} else if fmt.Sprint(resp.PolicyDocument) != fmt.Sprint(first.PolicyDocument) {
				t.Errorf("%s: the answer depends on the route:\n%v\n%v", client, first.PolicyDocument, resp.PolicyDocument)
			}
		}
		mtok, err := method.idp.Provider.MintClientToken(client)
		if err != nil {
			t.Fatal(err)
		}
		for _, route := range policyRoutes {
			own, err := method.az.Authorize(ctx, awsauthorizer.Event{Type: "TOKEN", AuthorizationToken: mtok, MethodArn: testAPI + route})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := evaluate(first, testAPI+route), evaluate(own, testAPI+route); got != want {
				t.Errorf("%s on %s: api mode allows=%v, method mode allows=%v\npolicy %v", client, route, got, want, first.PolicyDocument)
			}
		}
	}
	// The figures behind the table: a few exact answers.
	for client, want := range map[string][]string{
		"reader":     {"GET/pets", "GET/pets/*", "HEAD/pets", "HEAD/pets/*"},
		"star":       {"DELETE/*", "GET/*", "HEAD/*", "PATCH/*", "POST/*", "PUT/*"},
		"rootreader": {"GET/", "HEAD/"}, // write:own*rs has a wildcard: nothing
	} {
		tok, _ := api.idp.Provider.MintClientToken(client)
		resp, err := api.az.Authorize(ctx, awsauthorizer.Event{Type: "TOKEN", AuthorizationToken: tok, MethodArn: testAPI + "GET/pets"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range resp.PolicyDocument.Statement[0].Resource {
			got = append(got, strings.TrimPrefix(r, testAPI))
		}
		if len(resp.PolicyDocument.Statement) != 1 || resp.PolicyDocument.Statement[0].Effect != "Allow" || !slices.Equal(got, want) {
			t.Errorf("%s: %v; want Allow %q", client, resp.PolicyDocument, want)
		}
	}
}

// Auth mappings join the api answer whatever the event's route, and a
// token that opens nothing gets an explicit Deny on the whole stage.
func TestPolicyResourceAPIMappings(t *testing.T) {
	e := newGatewayEnv(t, func(c *auth.Config, az *awsauthorizer.Config) {
		az.PolicyResource = awsauthorizer.PolicyResourceAPI
		az.AuthMappings = map[string][]awsauthorizer.AuthMapping{
			"admin":       {{Method: "DELETE", ResourcePath: "/pets/{petId}"}},
			"principalId": {{Method: "GET", ResourcePath: "/health"}, {RouteKey: "$disconnect"}},
		}
	})
	ctx := context.Background()
	tok, _ := e.idp.Provider.MintClientToken("cron") // read:pets write:pets, permissions read:pets admin
	// The event's route (DELETE) is not in cron's scopes: the answer is
	// the same as for any other route.
	resp, err := e.az.Authorize(ctx, awsauthorizer.Event{Type: "TOKEN", AuthorizationToken: tok, MethodArn: testAPI + "DELETE/owners/1"})
	if err != nil {
		t.Fatal(err)
	}
	for route, want := range map[string]bool{
		"DELETE/pets/7": true, "DELETE/owners/1": false, "GET/health": true, "POST/pets": true, "GET/owners": false, "$disconnect": false,
	} {
		if got := evaluate(resp, testAPI+route); got != want {
			t.Errorf("cron: %s allowed=%v; want %v\n%v", route, got, want, resp.PolicyDocument)
		}
	}
	// A token whose scopes open no route, with only the everyone mapping.
	t.Setenv(awsauthorizer.AuthMappingsEnv, "")
	e3 := newGatewayEnv(t, func(c *auth.Config, az *awsauthorizer.Config) { az.PolicyResource = "api"; az.AuthMappings = nil })
	tok, _ = e3.idp.Provider.MintClientToken("readall")
	resp, err = e3.az.Authorize(ctx, awsauthorizer.Event{Type: "TOKEN", AuthorizationToken: tok, MethodArn: testAPI + "DELETE/pets/7"})
	if err != nil || !evaluate(resp, testAPI+"GET/anything") || evaluate(resp, testAPI+"DELETE/pets/7") {
		t.Fatalf("readall: %v %v", resp, err)
	}
	e4 := newGatewayEnv(t, func(c *auth.Config, az *awsauthorizer.Config) {
		az.PolicyResource = "api"
		az.AuthMappings = nil
		az.WebSocketScope = "chat:*"
	})
	tok, _ = e4.idp.Provider.MintClientToken("reader")
	ws := awsauthorizer.Event{Type: "REQUEST", MethodArn: testAPI + "$connect", Headers: map[string]string{"Sec-WebSocket-Protocol": "chat, " + tok}}
	resp, err = e4.az.Authorize(ctx, ws)
	want := []awsauthorizer.Statement{{Action: awsauthorizer.InvokeAction, Effect: "Deny", Resource: []string{testAPI + "*"}}}
	if err != nil || !slices.EqualFunc(resp.PolicyDocument.Statement, want, statementEqual) {
		t.Fatalf("reader without the WebSocket scope: %+v %v", resp, err)
	}
	// With the scope, every route key of the stage: API/STAGE/*/* would
	// not match $connect, which has no slash.
	tok, _ = e4.idp.Provider.MintClientToken("star")
	ws.Headers["Sec-WebSocket-Protocol"] = "chat, " + tok
	resp, err = e4.az.Authorize(ctx, ws)
	if err != nil || !evaluate(resp, testAPI+"$connect") || !evaluate(resp, testAPI+"sendMessage") {
		t.Fatalf("star on $connect: %+v %v", resp, err)
	}
}

func statementEqual(a, b awsauthorizer.Statement) bool {
	return a.Action == b.Action && a.Effect == b.Effect && slices.Equal(a.Resource, b.Resource)
}

// invalid_token: deny answers a missing or invalid token with an
// explicit Deny (403) on the policy's resource; an outage stays an error.
func TestInvalidTokenDeny(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{"method", "api"} {
		e := newGatewayEnv(t, func(c *auth.Config, az *awsauthorizer.Config) {
			az.InvalidToken = "Deny"
			az.PolicyResource = mode
		})
		e.clock.Advance(-3 * time.Hour) // minted 3 hours ago: expired
		expired, _ := e.idp.Provider.MintClientToken("reader")
		e.clock.Advance(3 * time.Hour)
		valid, _ := e.idp.Provider.MintClientToken("reader")
		for name, ev := range map[string]awsauthorizer.Event{
			"no token": {Type: "TOKEN", MethodArn: testAPI + "GET/pets/7"},
			"garbage":  {Type: "TOKEN", AuthorizationToken: "Bearer a.b.c", MethodArn: testAPI + "GET/pets/7"},
			"expired":  {Type: "TOKEN", AuthorizationToken: expired, MethodArn: testAPI + "GET/pets/7"},
			"stage":    {Type: "TOKEN", AuthorizationToken: valid, MethodArn: strings.Replace(testAPI, "/prod/", "/dev/", 1) + "GET/pets/7"},
		} {
			arn, _ := awsauthorizer.ParseMethodARN(ev.MethodArn)
			wantRes := ev.MethodArn
			if mode == "api" {
				wantRes = arn.Base() + "*"
			}
			resp, err := e.az.Authorize(ctx, ev)
			want := []awsauthorizer.Statement{{Action: awsauthorizer.InvokeAction, Effect: "Deny", Resource: []string{wantRes}}}
			if err != nil || resp.PrincipalID != awsauthorizer.AnonymousPrincipal || resp.Context["error"] != "invalid_token" ||
				len(resp.Context) != 1 || !slices.EqualFunc(resp.PolicyDocument.Statement, want, statementEqual) {
				t.Errorf("%s, %s: %+v %v", mode, name, resp, err)
			}
		}
		// A good token is answered as before.
		resp, err := e.az.Authorize(ctx, awsauthorizer.Event{Type: "TOKEN", AuthorizationToken: valid, MethodArn: testAPI + "GET/pets/7"})
		if err != nil || resp.PrincipalID != "reader-1" || !evaluate(resp, testAPI+"GET/pets/7") {
			t.Errorf("%s, valid token: %+v %v", mode, resp, err)
		}
	}
	az, err := awsauthorizer.New(&awsauthorizer.Config{InvalidToken: "deny"},
		failingVerifier{fmt.Errorf("x: %w", store.ErrUnavailable)}, awsauthorizer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := az.Authorize(ctx, awsauthorizer.Event{Type: "TOKEN", AuthorizationToken: "a.b.c", MethodArn: testAPI + "GET/pets"})
	if resp != nil || err == nil || errors.Is(err, awsauthorizer.ErrUnauthorized) || !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("outage with deny: %+v %v", resp, err)
	}
}

func TestPolicyOptionsConfig(t *testing.T) {
	base := "server_metadata_url: https://idp.example.com/.well-known/openid-configuration\nsecret_key: " + testSecret + "\nclient_id: app\n"
	var g awsauthorizer.Config
	if _, err := auth.ParseConfig([]byte(base+"gateway_authorizer:\n  invalid_token: deny\n  policy_resource: api\n"), &g); err != nil {
		t.Fatal(err)
	}
	if g.InvalidToken != "deny" || g.PolicyResource != "api" {
		t.Fatalf("parsed %+v", g)
	}
	g = awsauthorizer.Config{}
	if _, err := auth.ParseConfig([]byte(base), &g); err != nil || g.InvalidToken != "unauthorized" || g.PolicyResource != "method" {
		t.Fatalf("defaults %+v %v", g, err)
	}
	for _, tc := range []struct{ yaml, key, reason string }{
		{"gateway_authorizer:\n  invalid_token: forbidden\n", "gateway_authorizer.invalid_token", "deny"},
		{"gateway_authorizer:\n  policy_resource: stage\n", "gateway_authorizer.policy_resource", "api"},
	} {
		_, err := auth.ParseConfig([]byte(base+tc.yaml), &awsauthorizer.Config{})
		var ce *auth.ConfigError
		if !errors.As(err, &ce) || ce.Key != tc.key || !strings.Contains(ce.Reason, tc.reason) {
			t.Errorf("%q: %v; want key %s", tc.yaml, err, tc.key)
		}
	}
}
