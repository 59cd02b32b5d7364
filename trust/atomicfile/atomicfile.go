// Package atomicfile replaces a file so that a power cut at any instant leaves
// either the old content or the new one, never a mix: write a temporary file
// in the same directory, fsync it, rename it over the target, fsync the
// directory so the rename itself is durable.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tempPrefix marks files a writer left behind when it died before its rename.
const tempPrefix = ".tmp-"

// Write atomically replaces path with data, created with mode perm.
// When Write returns nil the new content is on stable storage; when it
// returns an error the old content (or the absence of a file) is intact.
func Write(path string, data []byte, perm fs.FileMode) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	tmp := filepath.Join(dir, tempPrefix+base+"-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("atomicfile: fsync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("atomicfile: close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("atomicfile: rename to %s: %w", path, err)
	}
	ok = true
	return SyncDir(dir)
}

// SyncDir fsyncs a directory, making renames and unlinks in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("atomicfile: open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("atomicfile: fsync dir %s: %w", dir, err)
	}
	return nil
}

// Read returns the content of path, or (nil, nil) if it does not exist.
func Read(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("atomicfile: read %s: %w", path, err)
	}
	return b, nil
}

// Clean removes temporary files that writers killed before their rename
// left in dir. Call it when a store opens; those files never held
// acknowledged data.
func Clean(dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("atomicfile: clean %s: %w", dir, err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("atomicfile: clean %s: %w", dir, err)
			}
		}
	}
	return nil
}

// Shred overwrites a file's content with zeros in place, fsyncs it, then
// unlinks it and fsyncs the directory. On flash with wear levelling the old
// blocks may survive the overwrite, which is why secrets are also sealed under
// keys that are destroyed (crypto-erase); Shred removes the plain copy a
// simple read of the file system would find.
func Shred(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("atomicfile: shred %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("atomicfile: shred %s: %w", path, err)
	}
	zero := make([]byte, 32<<10)
	for off := int64(0); off < st.Size(); off += int64(len(zero)) {
		n := min(int64(len(zero)), st.Size()-off)
		if _, err := f.WriteAt(zero[:n], off); err != nil {
			f.Close()
			return fmt.Errorf("atomicfile: shred %s: %w", path, err)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("atomicfile: shred %s: fsync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("atomicfile: shred %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("atomicfile: shred %s: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// File is a Store backed by one file, replaced atomically.
type File struct {
	Path string
	Perm fs.FileMode
}

// Load returns the stored bytes, or nil if nothing was ever stored.
func (f File) Load() ([]byte, error) { return Read(f.Path) }

// Save atomically replaces the stored bytes.
func (f File) Save(b []byte) error {
	perm := f.Perm
	if perm == 0 {
		perm = 0o600
	}
	return Write(f.Path, b, perm)
}
