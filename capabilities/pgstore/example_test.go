package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/capabilities/store"
)

// Each replica of the app opens its own Store on the same database; a
// change made through any of them reaches every replica's cache at once.
func ExampleOpen() {
	ctx := context.Background()
	g, err := capabilities.NewGraph(map[string][]string{"read": nil, "write": {"read"}}, true)
	if err != nil {
		log.Fatal(err)
	}
	s, err := pgstore.Open(ctx, os.Getenv("DATABASE_URL"), g, pgstore.Options{Schema: "myapp"})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	caps, err := s.Add(ctx, "Alice@Example.com", "write")
	switch {
	case errors.Is(err, store.ErrUnavailable):
		log.Print("the database is down: answer 503 and let the client retry")
	case err != nil:
		log.Fatal(err)
	default:
		fmt.Println(caps)
	}
}
