package webservertest

import "testing"

// A missing server skips the test that needs it (CI=true fails it
// instead, which a test cannot show without failing).
func TestMissingServerSkips(t *testing.T) {
	t.Setenv("CI", "")
	reached := false
	passed := t.Run("missing", func(t *testing.T) {
		lookPath(t, "oauthgate-no-such-server", "nothing")
		reached = true
	})
	if !passed || reached {
		t.Errorf("a missing server: passed %v, went on %v; want a skip", passed, reached)
	}
}
