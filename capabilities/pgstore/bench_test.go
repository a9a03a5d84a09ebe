package pgstore_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/pgstore"
	"github.com/oauthgate/oauthgate/capabilities/store/storetest"
)

// benchUsers is the number of users the benchmarks load.
const benchUsers = 200_000

// benchSchema is loaded once per test binary and dropped by TestMain.
var benchSchema struct {
	once sync.Once
	name string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchSchema.name != "" {
		if conn, err := pgx.Connect(context.Background(), os.Getenv(dsnEnv)); err == nil {
			conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+benchSchema.name+" CASCADE")
			conn.Close(context.Background())
		}
	}
	os.Exit(code)
}

// benchEmails are the loaded users' emails, made once so that the
// benchmarks do not measure fmt.
var benchEmails = sync.OnceValue(func() []string {
	e := make([]string, benchUsers)
	for i := range e {
		e[i] = fmt.Sprintf("user%06d@example.com", i)
	}
	return e
})

func benchEmail(i int) string { return benchEmails()[i] }

// loadBench returns a schema holding benchUsers users, bulk-loaded with
// COPY (triggers off, as a restore would).
func loadBench(b *testing.B, g *capabilities.Graph) string {
	b.Helper()
	dsn := testDSN(b)
	benchSchema.once.Do(func() {
		ctx := context.Background()
		name := randomName("bench_")
		s, err := pgstore.Open(ctx, dsn, g, pgstore.Options{Schema: name})
		if err != nil {
			benchSchema.err = err
			return
		}
		s.Close()
		benchSchema.name = name
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			benchSchema.err = err
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "SET session_replication_role = replica"); err != nil {
			benchSchema.err = err
			return
		}
		sets := [][]string{{"read"}, {"write"}, {"a", "read"}, {"moderate", "user_management"}}
		_, benchSchema.err = conn.CopyFrom(ctx, pgx.Identifier{name, "users"}, []string{"email", "capabilities"},
			pgx.CopyFromSlice(benchUsers, func(i int) ([]any, error) { return []any{benchEmail(i), sets[i%len(sets)]}, nil }))
		if benchSchema.err == nil {
			_, benchSchema.err = conn.Exec(ctx, "ANALYZE "+name+".users")
		}
	})
	if benchSchema.err != nil {
		b.Fatalf("loading %d users: %v", benchUsers, benchSchema.err)
	}
	return benchSchema.name
}

func benchStore(b *testing.B, opts pgstore.Options) *pgstore.Store {
	b.Helper()
	g := storetest.Graph(b)
	schema := loadBench(b, g)
	// Durable commits: the DSN as given, not the tests' fast one.
	return openStoreDSN(b, testDSN(b), g, schema, opts)
}

// BenchmarkGetHot reads users whose entries are cached. It also reports
// the heap each cached user takes.
func BenchmarkGetHot(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b, pgstore.Options{})
	const warm = 20_000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range warm {
		if _, err := s.Get(ctx, benchEmail(i*(benchUsers/warm))); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perUser := float64(after.HeapAlloc-before.HeapAlloc) / warm
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := s.Get(ctx, benchEmail((i%warm)*(benchUsers/warm))); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(perUser, "heap-B/cached-user")
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			r := rand.New(rand.NewPCG(rand.Uint64(), 0))
			for pb.Next() {
				if _, err := s.Get(ctx, benchEmail(r.IntN(warm)*(benchUsers/warm))); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkGetCold reads users through a store without a cache: one
// round trip to the database each, as after an invalidation.
func BenchmarkGetCold(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b, pgstore.Options{CacheEntries: -1})
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Get(ctx, benchEmail(rand.IntN(benchUsers))); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Get(ctx, benchEmail(rand.IntN(benchUsers))); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkUpdate grants and takes back a capability of random users:
// one durable transaction each, with its notification.
func BenchmarkUpdate(b *testing.B) {
	ctx := context.Background()
	s := benchStore(b, pgstore.Options{})
	b.Run("serial", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			email := benchEmail(rand.IntN(benchUsers))
			var err error
			if i%2 == 0 {
				_, err = s.Add(ctx, email, "b")
			} else {
				_, err = s.Remove(ctx, email, "b")
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Add(ctx, benchEmail(rand.IntN(benchUsers)), "b"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkPropagation measures a change made through one store until
// another store (a second replica, reading from its cache) sees it.
func BenchmarkPropagation(b *testing.B) {
	ctx := context.Background()
	a := benchStore(b, pgstore.Options{})
	r := benchStore(b, pgstore.Options{})
	email := benchEmail(7)
	sets := [][]string{{"read"}, {"write"}}
	for i := 0; b.Loop(); i++ {
		want := sets[i%2]
		if _, err := a.Set(ctx, email, want); err != nil {
			b.Fatal(err)
		}
		for {
			got, err := r.Get(ctx, email)
			if err != nil {
				b.Fatal(err)
			}
			if slices.Equal(got, want) {
				break
			}
			runtime.Gosched()
		}
	}
}
