module github.com/oauthgate/oauthgate

go 1.24.0
