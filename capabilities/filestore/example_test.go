package filestore_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/filestore"
)

func ExampleOpen() {
	dir, err := os.MkdirTemp("", "caps")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	g, err := capabilities.NewGraph(map[string][]string{"read": nil, "write": {"read"}}, true)
	if err != nil {
		log.Fatal(err)
	}
	path := filepath.Join(dir, "caps.yaml")
	store, err := filestore.Open(path, g, filestore.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	ctx := context.Background()
	if _, err := store.Set(ctx, "Boss@Example.com", []string{"admin"}); err != nil {
		log.Fatal(err)
	}
	caps, err := store.Add(ctx, "friend@example.com", "write", "read")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(caps)
	_, err = store.Add(ctx, "friend@example.com", "bake")
	fmt.Println(err)

	data, err := os.ReadFile(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Print(string(data))
	// Output:
	// [read write]
	// capabilities: user "friend@example.com": unknown capability "bake"
	// boss@example.com:
	//   - admin
	// friend@example.com:
	//   - read
	//   - write
}
