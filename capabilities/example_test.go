package capabilities_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/oauthgate/oauthgate/capabilities"
)

func ExampleGraph_Closure() {
	g, err := capabilities.ParseGraph([]byte(`
read: []
write: [read]
moderate: [read, write]
announce: [read, write]
user_management: []
`))
	if err != nil {
		log.Fatal(err)
	}
	s, err := g.Set("announce")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g.SetNames(g.Closure(s)))
	admin, _ := g.Set("admin")
	fmt.Println(g.SetNames(g.Closure(admin)))
	// Output:
	// [announce read write]
	// [admin announce moderate read user_management write]
}

func ExamplePolicy_Effective() {
	cfg := capabilities.Config{
		Graph: map[string][]string{
			"read":  nil,
			"write": {"read"},
			"baker": nil,
		},
		DefaultCapabilities: []string{"read"},
		UserOverrides:       map[string][]string{"chef@example.com": {"baker"}},
	}
	p, err := cfg.Policy()
	if err != nil {
		log.Fatal(err)
	}
	g := p.Graph()
	for _, email := range []string{"someone@example.com", "Chef@Example.com"} {
		s, err := p.Effective(email, []string{"write"}) // stored capabilities
		if err != nil {
			log.Fatal(err)
		}
		baker, _ := g.Lookup("baker")
		fmt.Println(email, g.SetNames(s), s.Has(baker))
	}
	fmt.Println("guest", g.SetNames(p.Guest()))
	// Output:
	// someone@example.com [read write] false
	// Chef@Example.com [baker read write] true
	// guest []
}

func ExampleOpenFileStore() {
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
	store, err := capabilities.OpenFileStore(path, g, capabilities.FileStoreOptions{})
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
