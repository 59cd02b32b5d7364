package pid1

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// seedName is the file in the data folder that carries entropy across boots.
const seedName = "random-seed"

// seedLen is the seed size: 512 bytes, as systemd-random-seed uses, more
// than the kernel pool's 256-bit state needs.
const seedLen = 512

// seedEntropy mixes the seed saved at the last boot into the kernel's pool
// and replaces it with a fresh one at once, so a seed is never used twice
// (not even when this boot crashes). The seed is mixed in but not credited:
// a cloned data partition would make a credited seed a known one. The
// kernel credits its own sources (CPU jitter, the board's hardware RNG).
func seedEntropy(sys Sys, root fs.FS, dataDir string) (mixed bool, err error) {
	file := path.Join(dataDir, seedName)
	old, err := fs.ReadFile(root, strings.TrimPrefix(file, "/"))
	switch {
	case errors.Is(err, fs.ErrNotExist): // first boot
	case err != nil:
		return false, fmt.Errorf("entropy: read seed: %w", err)
	case len(old) > 0:
		if err := sys.MixEntropy(old); err != nil {
			return false, fmt.Errorf("entropy: mix seed: %w", err)
		}
		clear(old)
		mixed = true
	}
	fresh := make([]byte, seedLen)
	rand.Read(fresh) // getrandom(2): waits for the pool, never fails on Linux
	defer clear(fresh)
	if err := sys.WriteFile(file, fresh, 0o600); err != nil {
		return mixed, fmt.Errorf("entropy: save seed: %w", err)
	}
	return mixed, nil
}
