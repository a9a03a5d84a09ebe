module github.com/oauthgate/oauthgate

go 1.24.0

require (
	github.com/coreos/go-oidc/v3 v3.17.0 // indirect
	github.com/go-jose/go-jose/v4 v4.1.9 // indirect
	golang.org/x/oauth2 v0.35.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
