package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Shred overwrites a file's content with zeros in place, fsyncs it, then
// unlinks it and fsyncs the directory. On flash with wear levelling the old
// blocks may survive the overwrite, which is why secrets are also sealed
// under keys that are destroyed (crypto-erase); Shred removes the plain copy
// a simple read of the file system would find. A missing file is not an
// error.
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
