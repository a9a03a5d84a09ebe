package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// replaceFile replaces the file at path, whose content was old, with data:
// written to a temporary file in the same folder with the same mode,
// synced, renamed over the original, then the folder synced; a crash
// leaves the old or the new file, never a mix. A symbolic link is
// followed, so the link stays a link. When the file changed since it was
// read (another editor), nothing is written.
func replaceFile(path string, old, data []byte) (err error) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	fi, err := os.Stat(target)
	if err != nil {
		return err
	}
	dir, base := filepath.Split(target)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(fi.Mode().Perm()); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	current, err := os.ReadFile(target)
	if err != nil {
		return err
	}
	if !bytes.Equal(current, old) {
		return fmt.Errorf("%s changed while it was being rewritten; run the command again", path)
	}
	if err = os.Rename(f.Name(), target); err != nil {
		return err
	}
	return syncFolder(dir)
}

// syncFolder makes a rename in dir durable. Systems that cannot sync a
// folder (Windows) report an error that is not worth failing for.
func syncFolder(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrPermission) && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
