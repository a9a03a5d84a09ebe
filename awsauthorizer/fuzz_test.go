package awsauthorizer_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/oauthgate/oauthgate/awsauthorizer"
)

// FuzzGatewayEvent: any event JSON decodes, its token is extracted and
// its methodArn parsed without a panic; a parsed ARN rebuilds the input.
func FuzzGatewayEvent(f *testing.F) {
	for _, s := range []string{
		`{"type":"TOKEN","authorizationToken":"Bearer a.b.c","methodArn":"arn:aws:execute-api:us-east-1:1:api/prod/GET/pets/7"}`,
		`{"type":"REQUEST","methodArn":"arn:aws:execute-api:us-east-1:1:api/prod/$connect","headers":{"sec-websocket-protocol":"chat, a.b.c"},"requestContext":{"eventType":"CONNECT"}}`,
		`{"type":"REQUEST","methodArn":"arn:aws-cn:execute-api:r:a:api/s/POST/","headers":{"Authorization":"bearer  x"}}`,
		`{"methodArn":"arn:aws:execute-api:r:a:api/prod/GET/a:b/c"}`,
		`{"methodArn":"arn:::::/"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev awsauthorizer.Event
		if json.Unmarshal(data, &ev) != nil {
			return
		}
		if tok, ok := ev.Token(); ok && (tok == "" || strings.ContainsAny(tok, " \t\r\n")) {
			t.Fatalf("token %q", tok)
		}
		ev.IsWebSocket()
		a, err := awsauthorizer.ParseMethodARN(ev.MethodArn)
		if err != nil {
			return
		}
		if a.String() != ev.MethodArn || a.APIID == "" || a.Stage == "" || a.Rest == "" || strings.Contains(a.Stage, "/") {
			t.Fatalf("parsed %q as %+v", ev.MethodArn, a)
		}
		if m, p, err := a.MethodPath(); err == nil && (m == "" || !strings.HasPrefix(p, "/")) {
			t.Fatalf("method %q path %q", m, p)
		}
	})
}
