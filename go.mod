module github.com/oauthgate/oauthgate

go 1.24.0

require (
	github.com/go-jose/go-jose/v4 v4.1.9
	gopkg.in/yaml.v3 v3.0.1
)
