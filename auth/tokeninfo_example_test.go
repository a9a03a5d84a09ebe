package auth_test

import (
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/oauthgate/oauthgate/auth"
)

// A service token minted offline (as `oauthgate token mint` does), with
// the app's secret_key: the app accepts it as if it had issued it.
func ExampleMintToken() {
	cfg, err := auth.ParseConfig([]byte("secret_key: k7Jq9vXyPz3mN2bR8tW5cL1dF6gH4sA0eU9iO7pQ2wE=\ntoken_ttl: 1h\n"))
	if err != nil {
		log.Fatal(err)
	}
	tok, err := auth.MintToken(cfg, auth.TokenInfo{Kind: auth.KindService, Subject: "Backup@service", Capabilities: []string{"read"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Kind, tok.Subject, tok.Capabilities, len(tok.ID), time.Until(tok.ExpiresAt).Round(time.Hour))
	// Output: service backup@service [read] 22 1h0m0s
}

// Inspecting a token shows what it says, and whether the app would
// accept it now (revocation aside).
func ExampleInspectToken() {
	cfg, err := auth.ParseConfig([]byte("secret_key: k7Jq9vXyPz3mN2bR8tW5cL1dF6gH4sA0eU9iO7pQ2wE=\n"))
	if err != nil {
		log.Fatal(err)
	}
	issued := time.Now().Add(-2 * time.Hour)
	tok, err := auth.MintToken(cfg, auth.TokenInfo{Kind: auth.KindUser, Subject: "boss@example.com", IssuedAt: issued, ExpiresAt: issued.Add(time.Hour)})
	if err != nil {
		log.Fatal(err)
	}
	info, err := auth.InspectToken(cfg, tok.Token)
	fmt.Println(info.Kind, info.Subject, info.ExpiresAt.Sub(info.IssuedAt), errors.Is(err, auth.ErrTokenExpired))

	_, err = auth.InspectToken(cfg, "not a token")
	fmt.Println(errors.Is(err, auth.ErrTokenMalformed))
	// Output:
	// user boss@example.com 1h0m0s true
	// true
}
