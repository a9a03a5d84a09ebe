// Package pemkey owns the reading of PEM files: private keys in every
// shape openssl writes them ([ReadPrivateKey]), public keys
// ([ReadPublicKeys]) and certificate chains ([ReadCertificates]). Every file the module reads a key or a
// certificate from goes through it, so that a key accepted in one place
// is accepted in all, with the same size limit, the same strength rule
// and the same messages.
package pemkey

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxFileBytes bounds a PEM file: a key is a few kilobytes, a large CA
// bundle a few hundred.
const MaxFileBytes = 1 << 20

// Error says why a PEM file cannot be used.
type Error struct {
	// File is the file's path; "" for data that did not come from a file.
	File string
	// Reason says what the file holds instead of what was wanted, as a
	// phrase that follows the file's name ("holds an encrypted private
	// key; ...").
	Reason string
	// Err is the parser's error, when it says more.
	Err error
}

func (e *Error) Error() string {
	name := e.File
	if name == "" {
		name = "the PEM data"
	}
	if e.Err != nil {
		return fmt.Sprintf("%s %s: %v", name, e.Reason, e.Err)
	}
	return name + " " + e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

// readFile reads a file of at most MaxFileBytes. A missing file is an
// error matching fs.ErrNotExist.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Read one byte more than allowed, so that a file growing after a
	// Stat, or one without a size (a pipe), cannot pass.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, &Error{File: path, Reason: fmt.Sprintf("is larger than %d bytes: not a PEM key or certificate file", MaxFileBytes)}
	}
	return data, nil
}

// inFile names the file in err when err is an [*Error].
func inFile(path string, err error) error {
	var e *Error
	if errors.As(err, &e) && e.File == "" {
		e.File = path
	}
	return err
}
