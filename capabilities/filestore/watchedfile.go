package filestore

import (
	"bytes"
	"errors"
	"fmt"
	"hash/maphash"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/oauthgate/oauthgate/capabilities/store"
	"github.com/oauthgate/oauthgate/internal/atomicfile"
)

// recentWindow is how long after its modification time a file is re-read
// on every poll even when its size and time look unchanged, because file
// system timestamps can be too coarse to tell two quick edits apart.
const recentWindow = 2 * time.Second

// watchedFile is the file handling shared by [Store], [TokenStore] and
// [ClientStore]: the file is loaded at open, reloaded when a poller sees
// it change, and replaced by atomic, durable writes serialised by writeMu
// and, across processes, by an flock on PATH.lock. T is the decoded
// content; decode and install belong to the store. With a Commit of its
// own, a watchedFile is the storecore.Backend of its store: Lock, Unlock
// and Begin are here.
type watchedFile[T any] struct {
	path    string
	log     *slog.Logger
	seed    maphash.Seed
	decode  func(data []byte) (T, error)
	install func(T) // makes T the store's data; called under writeMu or at open
	// invalid prefixes the error of a write refused because the file does
	// not load.
	invalid error
	// checkFailed and loadFailed are the messages logged when the poller
	// cannot stat the file and when the file does not load.
	checkFailed, loadFailed string

	// writeMu serialises writes and reloads in this process and guards the
	// fields below it (and the store's own write state). Readers never take
	// it.
	writeMu  sync.Mutex
	lock     *os.File  // PATH.lock, opened by the first write
	seen     fileState // the file the data came from
	sum      uint64    // hash of that file's bytes
	badSum   uint64    // hash of the last broken content logged
	isClosed bool

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// fileState identifies one version of the file on disk.
type fileState struct {
	exists   bool
	dev, ino uint64
	size     int64
	mtime    int64 // nanoseconds since 1970
}

func stateOf(fi os.FileInfo) fileState {
	dev, ino := fileID(fi)
	return fileState{exists: true, dev: dev, ino: ino, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
}

// open loads the file and starts the poller: every poll (0 means
// [DefaultPollInterval], negative means never). The other fields are set.
func (w *watchedFile[T]) open(poll time.Duration) error {
	if w.log == nil {
		w.log = slog.Default()
	}
	w.seed = maphash.MakeSeed()
	data, st, err := readState(w.path)
	if err != nil {
		return fmt.Errorf("capabilities: %w", err)
	}
	t, err := w.decode(data)
	if err != nil {
		return err
	}
	w.set(t, w.hash(data, st), st)
	if poll == 0 {
		poll = DefaultPollInterval
	}
	if poll > 0 {
		w.stop, w.done = make(chan struct{}), make(chan struct{})
		go w.watch(poll)
	}
	return nil
}

// readState reads the file and the state of the version read; a missing
// file reads as empty.
func readState(path string) ([]byte, fileState, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fileState{}, nil
	}
	if err != nil {
		return nil, fileState{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fileState{}, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fileState{}, fmt.Errorf("%s is not a regular file", path)
	}
	data := make([]byte, 0, fi.Size()+512)
	buf := bytes.NewBuffer(data)
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, fileState{}, err
	}
	return buf.Bytes(), stateOf(fi), nil
}

func (w *watchedFile[T]) hash(data []byte, st fileState) uint64 {
	h := maphash.Bytes(w.seed, data)
	if !st.exists {
		h = ^h // a missing file differs from an empty one
	}
	return h
}

// set installs t, read from file st whose bytes hash to sum. The caller
// holds writeMu (or is open).
func (w *watchedFile[T]) set(t T, sum uint64, st fileState) {
	w.install(t)
	w.recorded(sum, st)
}

// recorded records that the store's data comes from file st whose bytes
// hash to sum. The caller holds writeMu (or is open).
func (w *watchedFile[T]) recorded(sum uint64, st fileState) {
	w.sum, w.seen, w.badSum = sum, st, 0
}

// Lock takes writeMu, for storecore.
func (w *watchedFile[T]) Lock() { w.writeMu.Lock() }

// Unlock releases writeMu.
func (w *watchedFile[T]) Unlock() { w.writeMu.Unlock() }

// Begin is beginWrite, for storecore.
func (w *watchedFile[T]) Begin() (end func(), err error) { return w.beginWrite() }

// watch polls the file until close.
func (w *watchedFile[T]) watch(every time.Duration) {
	defer close(w.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-tick.C:
			w.poll()
		}
	}
}

// poll reloads the file when it changed.
func (w *watchedFile[T]) poll() {
	w.writeMu.Lock()
	defer w.writeMu.Unlock()
	if w.isClosed {
		return
	}
	var st fileState
	fi, err := os.Stat(w.path)
	switch {
	case err == nil:
		st = stateOf(fi)
	case !errors.Is(err, fs.ErrNotExist):
		w.log.Error(w.checkFailed, "file", w.path, "err", err)
		return
	}
	if st == w.seen && (!st.exists || time.Since(time.Unix(0, st.mtime)) > recentWindow) {
		return
	}
	sum, err := w.refresh()
	if err != nil && sum != w.badSum {
		w.badSum = sum
		w.log.Error(w.loadFailed, "file", w.path, "err", err)
	}
}

// refresh reads the file and installs it when its content changed. It
// returns the hash of what it read. The caller holds writeMu.
func (w *watchedFile[T]) refresh() (uint64, error) {
	data, st, err := readState(w.path)
	if err != nil {
		return 0, err
	}
	sum := w.hash(data, st)
	if sum == w.sum {
		w.seen = st
		return sum, nil
	}
	t, err := w.decode(data)
	if err != nil {
		return sum, err
	}
	w.set(t, sum, st)
	return sum, nil
}

// beginWrite takes the cross-process lock and reloads the file, so that a
// write starts from the newest content and loses no other process's
// update; the caller calls unlock once the write is done. A file that does
// not load is not overwritten: the write is refused. The caller holds
// writeMu.
func (w *watchedFile[T]) beginWrite() (unlock func(), err error) {
	if w.isClosed {
		return nil, store.ErrClosed
	}
	unlock, err = w.lockFile()
	if err != nil {
		return nil, err
	}
	if _, err := w.refresh(); err != nil {
		unlock()
		return nil, fmt.Errorf("%w (writes are refused until it is fixed): %w", w.invalid, err)
	}
	return unlock, nil
}

// lockFile takes the cross-process lock, opening PATH.lock on first use
// (and then removing temporary files that crashed writers left). The
// caller holds writeMu.
func (w *watchedFile[T]) lockFile() (func(), error) {
	first := w.lock == nil
	if first {
		f, err := os.OpenFile(w.path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("capabilities: opening the lock file: %w", err)
		}
		w.lock = f
	}
	if err := lockFile(w.lock); err != nil {
		return nil, fmt.Errorf("capabilities: locking %s: %w", w.lock.Name(), err)
	}
	if first && crossProcessLock {
		// Under the lock no writer is between creating and renaming its
		// temporary file, so every one left is stale.
		stale, _ := filepath.Glob(atomicfile.TempGlob(w.path))
		for _, p := range stale {
			os.Remove(p)
		}
	}
	return func() { unlockFile(w.lock) }, nil
}

// write replaces the file with data atomically and durably, and records
// it as the file the store's data comes from (the store installs that data
// next). The caller holds the lock from beginWrite.
func (w *watchedFile[T]) write(data []byte) error {
	st, err := writeFileDurable(w.path, data)
	if err != nil {
		return fmt.Errorf("capabilities: writing %s: %w", w.path, err)
	}
	w.recorded(w.hash(data, st), st)
	return nil
}

// writeFileDurable replaces the file at path with data, keeping its mode
// (0600 for a new file), atomically and durably ([atomicfile]): a crash
// leaves the old or the new file, never a mix. It returns the state of the
// new file.
func writeFileDurable(path string, data []byte) (fileState, error) {
	perm := os.FileMode(0o600)
	if fi, err := os.Stat(path); err == nil {
		perm = fi.Mode().Perm()
	}
	fi, err := atomicfile.WriteInfo(path, data, perm)
	if err != nil {
		return fileState{}, err
	}
	return stateOf(fi), nil
}

// close stops the poller and releases the lock file; later writes fail
// with [store.ErrClosed]. Only the first call does anything.
func (w *watchedFile[T]) close() error {
	var err error
	w.once.Do(func() {
		if w.stop != nil {
			close(w.stop)
			<-w.done
		}
		w.writeMu.Lock()
		defer w.writeMu.Unlock()
		w.isClosed = true
		if w.lock != nil {
			err = w.lock.Close()
		}
	})
	return err
}
