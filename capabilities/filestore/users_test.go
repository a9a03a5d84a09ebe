package filestore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oauthgate/oauthgate/capabilities"
	"github.com/oauthgate/oauthgate/capabilities/filestore"
)

// easyOAuthFile is a user file as easy-oauth's README shows it.
const easyOAuthFile = `your-email@you.com:
  - admin
friend@rainbows.com:
  - moderate
  - announce
pierre-jean-jacques@youhou.fr:
  - read
hateful-being@cornhole.co: []
`

func openStore(t *testing.T, path string, g *capabilities.Graph, opts filestore.Options) *filestore.Store {
	t.Helper()
	s, err := filestore.Open(path, g, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func noPoll() filestore.Options { return filestore.Options{PollInterval: -1} }

func TestFileStoreReadsEasyOAuthFileAndWritesItSorted(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := mustGraph(t, bakery, true)
	path := filepath.Join(t.TempDir(), "caps.yaml")
	if err := os.WriteFile(path, []byte(easyOAuthFile), 0o644); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, path, g, noPoll())
	if got, _ := s.Get(ctx, "Friend@Rainbows.com"); !slices.Equal(got, []string{"announce", "moderate"}) {
		t.Fatalf("Get = %q", got)
	}
	if got, _ := s.Get(ctx, "hateful-being@cornhole.co"); got == nil || len(got) != 0 {
		t.Fatalf("Get of a user with [] = %#v; want empty, not nil", got)
	}
	if _, err := s.Add(ctx, "New@Example.com", "write", "baker"); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const want = `friend@rainbows.com:
  - announce
  - moderate
hateful-being@cornhole.co: []
new@example.com:
  - baker
  - write
pierre-jean-jacques@youhou.fr:
  - read
your-email@you.com:
  - admin
`
	if string(data) != want {
		t.Fatalf("file =\n%s\nwant\n%s", data, want)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode = %v, %v; want the file's 0644 kept", fi.Mode(), err)
	}
	// A second write with nothing to change leaves the file alone.
	v := s.Version()
	if _, err := s.Add(ctx, "new@example.com", "baker"); err != nil || s.Version() != v {
		t.Fatalf("no-op Add: %v, version %d → %d", err, v, s.Version())
	}
}

func TestFileStoreMissingFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := mustGraph(t, bakery, true)
	path := filepath.Join(t.TempDir(), "caps.yaml")
	s := openStore(t, path, g, noPoll())
	if users, err := s.List(ctx); err != nil || len(users) != 0 {
		t.Fatalf("List = %v, %v", users, err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("opening created the file: %v", err)
	}
	if _, err := s.Set(ctx, "a@example.com", nil); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("new file mode = %v, %v; want 0600", fi, err)
	}
	if data, _ := os.ReadFile(path); string(data) != "a@example.com: []\n" {
		t.Fatalf("file = %q", data)
	}
	_, err = filestore.Open(filepath.Join(t.TempDir(), "no", "such", "dir", "caps.yaml"), g, noPoll())
	if err != nil {
		t.Fatalf("a missing file in a missing folder should open empty: %v", err)
	}
}

func TestFileStoreLoadErrors(t *testing.T) {
	g := mustGraph(t, bakery, true)
	tests := []struct {
		name string
		file string
		want []string // substrings of the error
	}{
		{"unknown capability", "a@x.com: [read]\nb@x.com:\n  - read\n  - bake\n", []string{"caps.yaml:2", `user "b@x.com"`, `unknown capability "bake"`}},
		{"case clash", "Ann@x.com: []\nann@X.com: []\n", []string{`"Ann@x.com" (line 1) and "ann@X.com" differ only in case`}},
		{"duplicate", "ann@x.com: []\nann@x.com: [read]\n", []string{`"ann@x.com" already appears on line 1`}},
		{"bad yaml", "a@x.com: [read\n", []string{"caps.yaml"}},
		{"not a mapping", "- a@x.com\n", []string{"expected a mapping"}},
		{"scalar value", "a@x.com: read\n", []string{`user "a@x.com": expected a list`}},
		{"null capability", "a@x.com: [~]\n", []string{"null is not a string"}},
		{"alias", "a@x.com: &l [read]\nb@x.com: *l\n", []string{"aliases are not supported"}},
		{"empty email", "\"\": [read]\n", []string{`caps.yaml:1: "" is not an email address or name@service: empty`}},
		{"bad email", "a@x.com: [read]\n\"evil@x.com, b@x.com\": [read]\n", []string{`caps.yaml:2: "evil@x.com, b@x.com" is not an email address or name@service: contains ','`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "caps.yaml")
			if err := os.WriteFile(path, []byte(tt.file), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := filestore.Open(path, g, noPoll())
			if err == nil {
				t.Fatal("OpenFileStore succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v; want it to contain %q", err, w)
				}
			}
		})
	}
	// The unknown capability error is inspectable.
	_, err := filestore.DecodeUserFile([]byte("a@x.com: [bake]\n"), g, "f.yaml")
	var u *capabilities.UnknownCapabilityError
	if !errors.As(err, &u) || u.Name != "bake" || u.Email != "a@x.com" || u.File != "f.yaml" || u.Line != 1 {
		t.Fatalf("err = %#v", err)
	}
}

func TestFileStoreAcceptsYAMLVariants(t *testing.T) {
	g := mustGraph(t, bakery, true)
	want := map[string][]string{"a@x.com": {"read", "write"}, "b@x.com": {}, "c@x.com": {}}
	files := map[string]string{
		"flow":          "a@x.com: [write, read]\nb@x.com: []\nc@x.com:\n",
		"comments":      "# users\na@x.com: # two\n  - write # w\n\n  # r\n  - read\nb@x.com: [] # none\nc@x.com:\n",
		"unindented":    "a@x.com:\n- write\n- read\nb@x.com: []\nc@x.com: []\n",
		"quoted":        "\"a@x.com\": ['write', \"read\"]\n'b@x.com': []\nc@x.com: ~\n",
		"flow mapping":  "{a@x.com: [write, read, read], b@x.com: [], c@x.com: []}\n",
		"document":      "---\na@x.com: [write, read]\nb@x.com: []\nc@x.com: []\n...\n",
		"crlf":          "a@x.com: [write, read]\r\nb@x.com: []\r\nc@x.com: []\r\n",
		"deep indented": "a@x.com:\n      - write\n      - read\nb@x.com: []\nc@x.com: []\n",
	}
	for name, file := range files {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := filestore.DecodeUserFile([]byte(file), g, "caps.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("got %q; want %q", got, want)
			}
			for k, v := range want {
				if !slices.Equal(got[k], v) {
					t.Fatalf("got %q; want %q", got, want)
				}
			}
		})
	}
	for _, empty := range []string{"", "\n", "# nothing\n", "{}\n", "~\n", "---\n"} {
		got, err := filestore.DecodeUserFile([]byte(empty), g, "caps.yaml")
		if err != nil || len(got) != 0 {
			t.Errorf("DecodeUserFile(%q) = %v, %v; want empty", empty, got, err)
		}
	}
}

func TestEncodeUserFileQuotesWhatItMust(t *testing.T) {
	t.Parallel()
	data, err := filestore.EncodeUserFile(map[string][]string{
		"b@x.com": {"true", "plain", "needs: quote", "-dash", "multi\nline"},
		"123@x":   nil,
		"#a@x":    {"yes"},
	})
	if err != nil {
		t.Fatal(err)
	}
	const want = `"#a@x":
  - "yes"
"123@x": []
b@x.com:
  - "-dash"
  - "multi\nline"
  - "needs: quote"
  - plain
  - "true"
`
	if string(data) != want {
		t.Fatalf("got\n%s\nwant\n%s", data, want)
	}
	if data, _ := filestore.EncodeUserFile(nil); string(data) != "{}\n" {
		t.Fatalf("empty file = %q", data)
	}
	if _, err := filestore.EncodeUserFile(map[string][]string{"\xff": nil}); err == nil {
		t.Fatal("invalid UTF-8 was encoded")
	}
}

// TestFileStoreConcurrentUpdates runs 8 goroutines × 250 updates on one
// store and checks that none is lost.
func TestFileStoreConcurrentUpdates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := manyCaps(t, 250)
	path := filepath.Join(t.TempDir(), "caps.yaml")
	s := openStore(t, path, g, filestore.Options{})
	const workers, updates = 8, 250
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range updates {
				// Half the updates go to one shared user, half to the worker's.
				email := fmt.Sprintf("worker%d@example.com", w)
				if i%2 == 0 {
					email = "shared@example.com"
				}
				if _, err := s.Add(ctx, email, fmt.Sprintf("w%d-%d", w, i/2)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	checkAllUpdates(t, path, g, workers, updates)
}

// manyCaps returns a graph of caps w<worker>-<i> for 8 workers.
func manyCaps(tb testing.TB, perWorker int) *capabilities.Graph {
	m := make(map[string][]string)
	for w := range 8 {
		for i := range perWorker {
			m[fmt.Sprintf("w%d-%d", w, i)] = nil
		}
	}
	return mustGraph(tb, m, false)
}

// checkAllUpdates reloads path and checks the result of workers × updates
// done as in TestFileStoreConcurrentUpdates.
func checkAllUpdates(t *testing.T, path string, g *capabilities.Graph, workers, updates int) {
	t.Helper()
	fresh, err := filestore.Open(path, g, noPoll())
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	users, err := fresh.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got := len(users["shared@example.com"]); got != workers*updates/2 {
		t.Errorf("shared user has %d capabilities; want %d", got, workers*updates/2)
	}
	for w := range workers {
		if got := len(users[fmt.Sprintf("worker%d@example.com", w)]); got != updates/2 {
			t.Errorf("worker %d has %d capabilities; want %d", w, got, updates/2)
		}
	}
}

// Child processes are this test binary, re-run with one of these set.
const (
	childWriterEnv = "CAPABILITIES_TEST_WRITER" // "worker,updates,path"
	childLooperEnv = "CAPABILITIES_TEST_LOOPER" // "path"
)

// TestChildProcess is the body of the child processes; it does nothing in
// a normal run.
func TestChildProcess(t *testing.T) {
	if spec := os.Getenv(childWriterEnv); spec != "" {
		parts := strings.SplitN(spec, ",", 3)
		w, _ := strconv.Atoi(parts[0])
		updates, _ := strconv.Atoi(parts[1])
		g := manyCaps(t, updates)
		s, err := filestore.Open(parts[2], g, noPoll())
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for i := range updates {
			email := fmt.Sprintf("worker%d@example.com", w)
			if i%2 == 0 {
				email = "shared@example.com"
			}
			if _, err := s.Add(context.Background(), email, fmt.Sprintf("w%d-%d", w, i/2)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if path := os.Getenv(childLooperEnv); path != "" {
		g := mustGraph(t, bakery, true)
		s, err := filestore.Open(path, g, noPoll())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Println("ready")
		for i := 0; ; i++ {
			email := fmt.Sprintf("user%d@example.com", i%crashUsers)
			var err error
			if i%2 == 0 {
				_, err = s.Add(context.Background(), email, "baker")
			} else {
				_, err = s.Remove(context.Background(), email, "baker")
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}

func childCommand(t *testing.T, env string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), env)
	return cmd
}

// TestFileStoreConcurrentProcesses runs 4 processes updating one file.
func TestFileStoreConcurrentProcesses(t *testing.T) {
	t.Parallel()
	const workers, updates = 4, 100
	path := filepath.Join(t.TempDir(), "caps.yaml")
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := childCommand(t, fmt.Sprintf("%s=%d,%d,%s", childWriterEnv, w, updates, path))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("worker %d: %v\n%s", w, err, out)
			}
		}()
	}
	wg.Wait()
	checkAllUpdates(t, path, manyCaps(t, updates), workers, updates)
}

const crashUsers = 2000

// TestFileStoreSurvivesKill kills a writer in a loop of writes, 50 times,
// and checks that the file always loads whole.
func TestFileStoreSurvivesKill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := mustGraph(t, bakery, true)
	dir := t.TempDir()
	path := filepath.Join(dir, "caps.yaml")
	seed := make(map[string][]string, crashUsers)
	for i := range crashUsers {
		seed[fmt.Sprintf("user%d@example.com", i)] = []string{"read"}
	}
	data, err := filestore.EncodeUserFile(seed)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for round := range 50 {
		cmd := childCommand(t, childLooperEnv+"="+path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len("ready\n"))
		if _, err := stdout.Read(buf); err != nil {
			t.Fatalf("round %d: child did not start: %v", round, err)
		}
		// Let it write for a varying while, then kill it mid-loop.
		time.Sleep(time.Duration(round%10+1) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("round %d: child ended on its own: %v", round, err)
		}
		s, err := filestore.Open(path, g, noPoll())
		if err != nil {
			t.Fatalf("round %d: the file does not load after a kill: %v", round, err)
		}
		users, err := s.List(ctx)
		s.Close()
		if err != nil || len(users) != crashUsers {
			t.Fatalf("round %d: %d users, %v; want %d", round, len(users), err, crashUsers)
		}
	}
	// A later writer removes the temporary files that killed writers left.
	s := openStore(t, path, g, noPoll())
	if _, err := s.Add(ctx, "last@example.com", "read"); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".caps.yaml.tmp-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %q", left)
	}
}

// waitFor polls cond until it holds or a second has passed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 1s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFileStorePicksUpHandEdits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := mustGraph(t, bakery, true)
	path := filepath.Join(t.TempDir(), "caps.yaml")
	if err := os.WriteFile(path, []byte("ann@x.com: [read]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, path, g, filestore.Options{})
	v := s.Version()
	// Same size, in place, at once: only the content tells the change.
	if err := os.WriteFile(path, []byte("bob@x.com: [read]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "hand edit", func() bool {
		caps, _ := s.Get(ctx, "bob@x.com")
		return len(caps) == 1
	})
	if s.Version() == v {
		t.Fatal("Version did not change on a hand edit")
	}
	if caps, _ := s.Get(ctx, "ann@x.com"); caps != nil {
		t.Fatalf("ann is still there: %q", caps)
	}
	// Another store (as another process would) writes: picked up too.
	other := openStore(t, path, g, noPoll())
	if _, err := other.Add(ctx, "cid@x.com", "baker"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "other writer", func() bool {
		caps, _ := s.Get(ctx, "cid@x.com")
		return len(caps) == 1
	})
	// Removing the file empties the store.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "removal", func() bool {
		users, _ := s.List(ctx)
		return len(users) == 0
	})
}

// syncBuffer is a log destination safe for the poller and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestFileStoreKeepsLastGoodStateOnBrokenEdit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := mustGraph(t, bakery, true)
	path := filepath.Join(t.TempDir(), "caps.yaml")
	if err := os.WriteFile(path, []byte("ann@x.com: [read]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	s := openStore(t, path, g, filestore.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	for i, broken := range []string{"ann@x.com: [read\n", "ann@x.com: [read, bake]\n"} {
		if err := os.WriteFile(path, []byte(broken), 0o600); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "log of the broken edit", func() bool { return strings.Count(logs.String(), "does not load") == i+1 })
		if caps, err := s.Get(ctx, "ann@x.com"); err != nil || !slices.Equal(caps, []string{"read"}) {
			t.Fatalf("Get = %q, %v; want the last good state", caps, err)
		}
		_, err := s.Add(ctx, "bob@x.com", "read")
		if !errors.Is(err, filestore.ErrInvalidUserFile) {
			t.Fatalf("write over a broken file: %v; want ErrInvalidUserFile", err)
		}
		if data, _ := os.ReadFile(path); string(data) != broken {
			t.Fatalf("the broken file was overwritten: %q", data)
		}
	}
	if !strings.Contains(logs.String(), "bake") {
		t.Fatalf("log does not name the unknown capability: %s", logs.String())
	}
	time.Sleep(600 * time.Millisecond) // more polls: the same error is logged once
	if n := strings.Count(logs.String(), "does not load"); n != 2 {
		t.Fatalf("logged %d times; want 2:\n%s", n, logs.String())
	}
	if err := os.WriteFile(path, []byte("ann@x.com: [read, baker]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "fixed edit", func() bool {
		caps, _ := s.Get(ctx, "ann@x.com")
		return len(caps) == 2
	})
	if _, err := s.Add(ctx, "bob@x.com", "read"); err != nil {
		t.Fatalf("write after the fix: %v", err)
	}
}

func TestFileStoreWriteSeesUnpolledChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	g := mustGraph(t, bakery, true)
	path := filepath.Join(t.TempDir(), "caps.yaml")
	a := openStore(t, path, g, noPoll())
	b := openStore(t, path, g, noPoll())
	if _, err := a.Add(ctx, "ann@x.com", "read"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Add(ctx, "bob@x.com", "read"); err != nil { // b never polled
		t.Fatal(err)
	}
	if _, err := a.Add(ctx, "ann@x.com", "baker"); err != nil {
		t.Fatal(err)
	}
	got, err := filestore.DecodeUserFile(mustRead(t, path), g, path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got["ann@x.com"], []string{"baker", "read"}) || !slices.Equal(got["bob@x.com"], []string{"read"}) {
		t.Fatalf("file holds %q", got)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
