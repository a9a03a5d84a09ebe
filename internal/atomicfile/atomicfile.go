// Package atomicfile writes whole files so that a crash or a failure
// leaves the old file or the new one, never a mix: the data goes to a
// temporary file in the same folder, which is synced, given its mode and
// renamed (or linked) into place, and the folder is synced.
package atomicfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces (or creates) the file at path with data, with mode perm
// whatever the umask. A symbolic link at path is replaced, not followed.
func Write(path string, data []byte, perm fs.FileMode) error {
	_, err := write(path, data, perm, nil, false)
	return err
}

// WriteInfo is [Write] that also returns the information of the new file,
// taken from the file it wrote: a later replacement by another writer is
// never mistaken for it.
func WriteInfo(path string, data []byte, perm fs.FileMode) (fs.FileInfo, error) {
	return write(path, data, perm, nil, false)
}

// Replace is [Write] that calls check after the data is on disk and just
// before the rename; when check fails, the file is left as it was and its
// error returned. Callers use it to give up when another writer changed
// the file meanwhile.
func Replace(path string, data []byte, perm fs.FileMode, check func() error) error {
	_, err := write(path, data, perm, check, false)
	return err
}

// WriteNew creates the file at path with data and mode perm, and fails
// with an error matching [fs.ErrExist] when the file exists, even when
// another process creates it at the same moment: the temporary file is
// hard-linked into place, which never replaces anything.
func WriteNew(path string, data []byte, perm fs.FileMode) error {
	_, err := write(path, data, perm, nil, true)
	return err
}

// TempGlob is the [filepath.Glob] pattern of the temporary files that
// writes of path make: a crash between writing and renaming leaves one,
// which a later process may remove.
func TempGlob(path string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
}

func write(path string, data []byte, perm fs.FileMode, check func() error, exclusive bool) (fs.FileInfo, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a rename, there is nothing left to remove
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	var fi fs.FileInfo
	if err == nil {
		fi, err = f.Stat()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(); err != nil {
			return nil, err
		}
	}
	if exclusive {
		err = os.Link(tmp, path)
	} else {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return nil, err
	}
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("syncing %s: %w", dir, err)
	}
	return fi, nil
}
