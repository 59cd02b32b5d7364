package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

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

// Clean removes the temporary files that writers killed before their rename
// left in dir. Call it when a store opens: those files never held
// acknowledged data, and one may hold a secret.
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

// File is a store backed by one file, replaced atomically (the bundle
// holders' and the pin set's Store).
type File struct {
	Path string
	Perm fs.FileMode // 0 means 0600
}

// Load returns the stored bytes, or nil if nothing was ever stored.
func (f File) Load() ([]byte, error) { return Read(f.Path) }

// Save atomically replaces the stored bytes.
func (f File) Save(b []byte) error {
	perm := f.Perm
	if perm == 0 {
		perm = 0o600
	}
	return WriteFile(f.Path, b, perm)
}
