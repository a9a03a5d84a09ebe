module github.com/oauthgate/oauthgate

go 1.24.0

require (
	github.com/coreos/go-oidc/v3 v3.17.0
	github.com/go-jose/go-jose/v4 v4.1.9
	golang.org/x/oauth2 v0.35.0
	gopkg.in/yaml.v3 v3.0.1
)
