//go:build !unix

package capabilities

import "os"

// syncDir does nothing where folders cannot be synced (Windows).
func syncDir(string) error { return nil }

// fileID is unknown here; size and modification time identify a version.
func fileID(os.FileInfo) (dev, ino uint64) { return 0, 0 }
