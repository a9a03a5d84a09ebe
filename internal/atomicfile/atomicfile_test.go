package atomicfile_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/oauthgate/oauthgate/internal/atomicfile"
)

// onlyFile fails unless dir holds exactly the file name: no temporary
// file is left behind.
func onlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != name {
		t.Fatalf("folder holds %q; want only %q", names, name)
	}
}

func expectFile(t *testing.T, path, want string, perm fs.FileMode) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("file holds %q; want %q", got, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != perm {
		t.Fatalf("mode %v; want %v", fi.Mode().Perm(), perm)
	}
}

func TestWrite(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		old  string // "" means no file yet
		perm fs.FileMode
	}{
		{name: "creates", perm: 0o600},
		{name: "replaces", old: "old content", perm: 0o644},
		{name: "mode beyond the umask", old: "x", perm: 0o666},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "f.yaml")
			if tt.old != "" {
				if err := os.WriteFile(path, []byte(tt.old), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if err := atomicfile.Write(path, []byte("new"), tt.perm); err != nil {
				t.Fatal(err)
			}
			expectFile(t, path, "new", tt.perm)
			onlyFile(t, dir, "f.yaml")
		})
	}
}

func TestWriteRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := atomicfile.Write("f", []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	expectFile(t, filepath.Join(dir, "f"), "x", 0o600)
	onlyFile(t, dir, "f")
}

// A write that fails leaves the old file whole and no temporary file.
func TestFailureKeepsOldFile(t *testing.T) {
	t.Parallel()
	t.Run("check refuses", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := filepath.Join(dir, "f")
		if err := os.WriteFile(path, []byte("old"), 0o640); err != nil {
			t.Fatal(err)
		}
		refused := errors.New("changed meanwhile")
		err := atomicfile.Replace(path, []byte("new"), 0o600, func() error { return refused })
		if !errors.Is(err, refused) {
			t.Fatalf("err = %v; want %v", err, refused)
		}
		expectFile(t, path, "old", 0o640)
		onlyFile(t, dir, "f")
	})
	t.Run("rename fails", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := filepath.Join(dir, "f")
		// A non-empty folder cannot be replaced by a file.
		if err := os.MkdirAll(filepath.Join(path, "inside"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := atomicfile.Write(path, []byte("new"), 0o600); err == nil {
			t.Fatal("Write over a folder succeeded")
		}
		if _, err := os.Stat(filepath.Join(path, "inside")); err != nil {
			t.Fatalf("the folder was touched: %v", err)
		}
		onlyFile(t, dir, "f")
	})
	t.Run("no folder", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "missing", "f")
		if err := atomicfile.Write(path, []byte("new"), 0o600); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("err = %v; want fs.ErrNotExist", err)
		}
	})
	t.Run("check passes", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		path := filepath.Join(dir, "f")
		if err := os.WriteFile(path, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := atomicfile.Replace(path, []byte("new"), 0o600, func() error { return nil }); err != nil {
			t.Fatal(err)
		}
		expectFile(t, path, "new", 0o600)
		onlyFile(t, dir, "f")
	})
}

func TestWriteNewRefusesExisting(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "key.pem")
	if err := atomicfile.WriteNew(path, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	expectFile(t, path, "first", 0o600)
	if err := atomicfile.WriteNew(path, []byte("second"), 0o644); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("err = %v; want fs.ErrExist", err)
	}
	expectFile(t, path, "first", 0o600)
	onlyFile(t, dir, "key.pem")
}

// Writers racing to create one file: exactly one wins, the others get
// fs.ErrExist, and the file holds the winner's data in full.
func TestWriteNewRace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "key.pem")
	const writers = 16
	errs := make([]error, writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = atomicfile.WriteNew(path, []byte(fmt.Sprintf("writer %02d", i)), 0o600)
		}()
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Fatalf("writers %d and %d both created the file", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, fs.ErrExist):
			t.Fatalf("writer %d: %v; want fs.ErrExist", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no writer created the file")
	}
	expectFile(t, path, fmt.Sprintf("writer %02d", winner), 0o600)
	onlyFile(t, dir, "key.pem")
}

// WriteInfo describes the file it wrote, which is the one at path.
func TestWriteInfo(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "users.yaml")
	fi, err := atomicfile.WriteInfo(path, []byte("a: [read]\n"), 0o640)
	if err != nil {
		t.Fatal(err)
	}
	now, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(fi, now) || fi.Size() != 10 || fi.Mode().Perm() != 0o640 {
		t.Fatalf("info %v %d %v; the file is %v %d", fi.Name(), fi.Size(), fi.Mode(), now.Name(), now.Size())
	}
}

// TempGlob finds the temporary file of a write in flight, which a crash
// at that moment would leave behind.
func TestTempGlob(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "caps.yaml")
	var inFlight []string
	err := atomicfile.Replace(path, []byte("x"), 0o600, func() error {
		var err error
		inFlight, err = filepath.Glob(atomicfile.TempGlob(path))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(inFlight) != 1 || filepath.Dir(inFlight[0]) != dir {
		t.Fatalf("TempGlob found %q while writing", inFlight)
	}
	if left, _ := filepath.Glob(atomicfile.TempGlob(path)); len(left) != 0 {
		t.Fatalf("left behind: %q", left)
	}
}
