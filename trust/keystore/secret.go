package keystore

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"mehfooz/atomicfile"
)

// DeviceSecret is the half of the keystore key that does not come from the
// PIN. On a production handset it lives in a secure element or is derived
// from a fused hardware key, so a copy of the flash alone cannot be
// brute-forced off the device; Destroy is then a hardware erase. FileSecret
// is the stand-in for QEMU boards and development.
type DeviceSecret interface {
	// Key returns the 32-byte secret, creating it on first use.
	Key() ([]byte, error)
	// Destroy erases it: everything sealed under it becomes unrecoverable.
	Destroy() error
}

// FileSecret keeps the device secret in a file of its own, which should be
// on a different partition from the keystore.
type FileSecret struct{ Path string }

// Key implements DeviceSecret.
func (f FileSecret) Key() ([]byte, error) {
	b, err := os.ReadFile(f.Path)
	if err == nil {
		if len(b) != 32 {
			clear(b)
			return nil, fmt.Errorf("keystore: device secret %s: %d bytes, want 32", f.Path, len(b))
		}
		return b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("keystore: device secret: %w", err)
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(f.Path, b, 0o400); err != nil {
		return nil, fmt.Errorf("keystore: device secret: %w", err)
	}
	return b, nil
}

// Destroy implements DeviceSecret: overwrite, fsync, unlink.
func (f FileSecret) Destroy() error {
	if err := os.Chmod(f.Path, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("keystore: destroy device secret: %w", err)
	}
	return atomicfile.Shred(f.Path)
}
