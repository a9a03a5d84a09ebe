package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/oauthgate/oauthgate/internal/atomicfile"
)

// replaceFile replaces the file at path, whose content was old, with data
// of the same mode; a crash leaves the old or the new file, never a mix
// (see [atomicfile.Replace]). A symbolic link is followed, so the link
// stays a link. When the file changed since it was read (another editor),
// nothing is written.
func replaceFile(path string, old, data []byte) error {
	target, err := filepath.EvalSymlinks(path)
	if err != nil {
		return err
	}
	fi, err := os.Stat(target)
	if err != nil {
		return err
	}
	return atomicfile.Replace(target, data, fi.Mode().Perm(), func() error {
		current, err := os.ReadFile(target)
		if err != nil {
			return err
		}
		if !bytes.Equal(current, old) {
			return fmt.Errorf("%s changed while it was being rewritten; run the command again", path)
		}
		return nil
	})
}
