// Package atomicfile replaces files so that a power cut at any instant leaves
// either the old content or the new one, never a torn mix: write a temporary
// file in the same directory, fsync it, rename it over the target (rename(2)
// is atomic), fsync the directory so the rename itself is durable. It also
// reads such files, removes the temporary files a killed writer left behind,
// and shreds files that held a secret.
package atomicfile

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// tempPrefix marks files a writer left behind when it died before its
// rename; Clean removes them.
const tempPrefix = ".tmp-"

// WriteFile atomically replaces path with data, with mode perm. When it
// returns nil the new content is on stable storage; when it returns an error
// the old content (or the absence of a file) is intact.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// Write atomically replaces path with what fill writes, with mode perm. If
// fill fails, path is untouched and the temporary file is removed.
func Write(path string, perm fs.FileMode, fill func(io.Writer) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	var rnd [8]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	// O_EXCL on a fresh random name: never follows a planted symlink. Mode
	// 0600 until the content is complete, then perm exactly (no umask).
	tmp := filepath.Join(dir, tempPrefix+base+"-"+hex.EncodeToString(rnd[:]))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
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
	if err := fill(f); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	if err := f.Chmod(perm); err != nil {
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
