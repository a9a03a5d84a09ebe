package capabilities_test

import (
	"context"
	"fmt"
	"log"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/memstore"
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
	ctx := context.Background()
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
	granted := memstore.New(g) // what each user was granted; filestore or pgstore in an app
	for _, email := range []string{"someone@example.com", "chef@example.com"} {
		if _, err := granted.Set(ctx, email, []string{"write"}); err != nil {
			log.Fatal(err)
		}
	}
	baker, _ := g.Lookup("baker")
	for _, email := range []string{"someone@example.com", "Chef@Example.com"} {
		stored, err := granted.Get(ctx, email)
		if err != nil {
			log.Fatal(err)
		}
		s, err := p.Effective(email, stored)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(email, g.SetNames(s), s.Has(baker))
	}
	fmt.Println("guest", g.SetNames(p.Guest()))
	// Output:
	// someone@example.com [read write] false
	// Chef@Example.com [baker read write] true
	// guest []
}
