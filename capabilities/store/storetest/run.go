package storetest

import "testing"

// run runs fn as the subtest name of t: through t.Run when t has it (a
// *testing.T), else inline, so that a stand-in for testing.TB (in an
// Example) or a *testing.B can drive the suite too. Inline, the cleanups
// fn registers run when it returns and its failures are prefixed with
// name.
func run(t testing.TB, name string, fn func(t testing.TB)) {
	if r, ok := t.(interface {
		Run(string, func(*testing.T)) bool
	}); ok {
		r.Run(name, func(t *testing.T) { fn(t) })
		return
	}
	sub := &inline{TB: t, name: name}
	defer sub.cleanup()
	fn(sub)
}

// inline is a subtest that runs inside its parent.
type inline struct {
	testing.TB
	name     string
	cleanups []func()
}

func (s *inline) Cleanup(f func()) { s.cleanups = append(s.cleanups, f) }

func (s *inline) cleanup() {
	for i := len(s.cleanups) - 1; i >= 0; i-- {
		s.cleanups[i]()
	}
}

func (s *inline) Error(args ...any) {
	s.TB.Helper()
	s.TB.Error(append([]any{s.name + ":"}, args...)...)
}

func (s *inline) Errorf(format string, args ...any) {
	s.TB.Helper()
	s.TB.Errorf("%s: "+format, append([]any{s.name}, args...)...)
}

func (s *inline) Fatal(args ...any) {
	s.TB.Helper()
	s.TB.Fatal(append([]any{s.name + ":"}, args...)...)
}

func (s *inline) Fatalf(format string, args ...any) {
	s.TB.Helper()
	s.TB.Fatalf("%s: "+format, append([]any{s.name}, args...)...)
}
