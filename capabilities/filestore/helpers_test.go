package filestore_test

import (
	"testing"

	"github.com/oauthgate/oauthgate/capabilities"
)

// bakery is the graph of the user files of these tests.
var bakery = map[string][]string{
	"read":            nil,
	"write":           {"read"},
	"moderate":        {"read", "write"},
	"announce":        {"read", "write"},
	"baker":           nil,
	"user_management": nil,
}

func mustGraph(tb testing.TB, m map[string][]string, autoAdmin bool) *capabilities.Graph {
	tb.Helper()
	g, err := capabilities.NewGraph(m, autoAdmin)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}
