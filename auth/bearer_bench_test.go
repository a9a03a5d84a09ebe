package auth

import (
	"net/http"
	"strings"
	"testing"
)

// BenchmarkBearerToken parses the header of a service token (the longest
// bearer token) that is not in the cache yet.
func BenchmarkBearerToken(b *testing.B) {
	h := http.Header{"Authorization": {"Bearer " + strings.Repeat("AbC-dE_f09", 30)}}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := BearerToken(h); !ok {
			b.Fatal("refused")
		}
	}
}
