package keystore

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"mehfooz/atomicfile"
)

// ErrNoDeviceSecret: the device secret is not there (never made, destroyed,
// or its storage is missing). The keystore then refuses to try a PIN
// rather than count a right one as wrong.
var ErrNoDeviceSecret = errors.New("keystore: no device secret")

// DeviceSecret is the half of the keystore key that does not come from the
// PIN. On a production handset it lives in a secure element or is derived
// from a fused hardware key, so a copy of the flash alone cannot be
// brute-forced off the device; Destroy is then a hardware erase. FileSecret
// is the stand-in for QEMU boards and development.
type DeviceSecret interface {
	// Generate makes a new 32-byte secret, replacing any, and returns it.
	// Only Create calls it.
	Generate() ([]byte, error)
	// Key returns the secret, or an error wrapping ErrNoDeviceSecret if
	// there is none. It never makes one.
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
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoDeviceSecret, f.Path)
	}
	if err != nil {
		return nil, fmt.Errorf("keystore: device secret: %w", err)
	}
	if len(b) != 32 {
		clear(b)
		return nil, fmt.Errorf("keystore: device secret %s: %d bytes, want 32", f.Path, len(b))
	}
	return b, nil
}

// Generate implements DeviceSecret.
func (f FileSecret) Generate() ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	// A secret left from an earlier store (whose state file is gone) is
	// shredded, not just renamed over.
	if err := f.Destroy(); err != nil {
		clear(b)
		return nil, err
	}
	if err := atomicfile.WriteFile(f.Path, b, 0o400); err != nil {
		clear(b)
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
