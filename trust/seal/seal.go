// Package seal encrypts secrets at rest under a passphrase: argon2id
// (RFC 9106) stretches the passphrase into a 256-bit key, AES-256-GCM seals
// the secret. The blob carries its own KDF parameters and salt, so the
// parameters can be raised later without breaking old blobs.
//
// Format (all integers big-endian), version 1:
//
//	magic   "MHZS"           4 bytes
//	version 0x01             1
//	kdf     0x01 = argon2id  1
//	time    passes           4   (1..64)
//	memory  KiB              4   (8..4 GiB/KiB)
//	threads lanes            1   (1..64)
//	salt    random           16
//	nonce   random           12
//	sealed  AES-256-GCM(key, nonce, secret, aad = all bytes above)
//
// The header is the additional data, so a flipped parameter or salt makes
// opening fail rather than derive a different key silently.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"

	"golang.org/x/crypto/argon2"
)

var (
	// ErrWrongPassphrase: the blob is well formed but does not open under
	// this passphrase (or was altered).
	ErrWrongPassphrase = errors.New("seal: wrong passphrase or altered blob")
	// ErrMalformed: the bytes are not a sealed blob of a known version.
	ErrMalformed = errors.New("seal: malformed blob")
)

const (
	magic      = "MHZS"
	version    = 1
	kdfArgon2  = 1
	saltLen    = 16
	nonceLen   = 12
	headerLen  = 4 + 1 + 1 + 4 + 4 + 1 + saltLen
	overhead   = headerLen + nonceLen + 16
	maxTime    = 64
	maxMemory  = 4 << 20 // KiB: 4 GiB
	maxThreads = 64
	// MaxSecret caps what Open accepts, far above a PKCS#8 key.
	MaxSecret = 1 << 20
)

// Params are argon2id costs. Memory is in KiB.
type Params struct {
	Time      uint32
	MemoryKiB uint32
	Threads   uint8
}

// Workstation is the cost for the CA key on a technician's workstation:
// 256 MiB, 3 passes. docs/trust.md gives the measured time.
var Workstation = Params{Time: 3, MemoryKiB: 256 << 10, Threads: 2}

// Handset is the cost for the handset keystore: 64 MiB, 3 passes, 2 lanes,
// RFC 9106 §4's second recommended option, which a handset-class CPU with
// 512 MiB or more of RAM affords (docs/trust.md gives the measured time).
var Handset = Params{Time: 3, MemoryKiB: 64 << 10, Threads: 2}

// Test is a deliberately cheap cost for tests only: 64 KiB, 1 pass.
var Test = Params{Time: 1, MemoryKiB: 64, Threads: 1}

// Validate reports whether p is within the accepted bounds.
func (p Params) Validate() error {
	if p.Time < 1 || p.Time > maxTime || p.MemoryKiB < 8 || p.MemoryKiB > maxMemory ||
		p.Threads < 1 || p.Threads > maxThreads || p.MemoryKiB < 8*uint32(p.Threads) {
		return fmt.Errorf("%w: argon2id parameters %+v out of bounds", ErrMalformed, p)
	}
	return nil
}

// Key derives a 32-byte key from secret and salt with argon2id.
func (p Params) Key(secret, salt []byte) []byte {
	return argon2.IDKey(secret, salt, p.Time, p.MemoryKiB, p.Threads, 32)
}

// Seal encrypts secret under passphrase with costs p.
func Seal(passphrase, secret []byte, p Params) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if len(secret) > MaxSecret {
		return nil, fmt.Errorf("seal: secret of %d bytes exceeds %d", len(secret), MaxSecret)
	}
	out := make([]byte, headerLen+nonceLen, overhead+len(secret))
	copy(out, magic)
	out[4] = version
	out[5] = kdfArgon2
	binary.BigEndian.PutUint32(out[6:], p.Time)
	binary.BigEndian.PutUint32(out[10:], p.MemoryKiB)
	out[14] = p.Threads
	if _, err := rand.Read(out[15:]); err != nil { // salt and nonce
		return nil, fmt.Errorf("seal: %w", err)
	}
	key := p.Key(passphrase, out[15:15+saltLen])
	defer clear(key)
	aead, err := gcm(key)
	if err != nil {
		return nil, err
	}
	return aead.Seal(out, out[headerLen:headerLen+nonceLen], secret, out[:headerLen]), nil
}

// Header parses a blob's parameters without opening it.
func Header(blob []byte) (Params, error) {
	if len(blob) < overhead || string(blob[:4]) != magic || blob[4] != version || blob[5] != kdfArgon2 {
		return Params{}, ErrMalformed
	}
	if len(blob) > overhead+MaxSecret {
		return Params{}, fmt.Errorf("%w: %d bytes", ErrMalformed, len(blob))
	}
	p := Params{
		Time:      binary.BigEndian.Uint32(blob[6:]),
		MemoryKiB: binary.BigEndian.Uint32(blob[10:]),
		Threads:   blob[14],
	}
	return p, p.Validate()
}

// Open decrypts a blob made by Seal. The caller should clear the result
// when done with it.
func Open(passphrase, blob []byte) ([]byte, error) {
	p, err := Header(blob)
	if err != nil {
		return nil, err
	}
	key := p.Key(passphrase, blob[15:15+saltLen])
	defer clear(key)
	aead, err := gcm(key)
	if err != nil {
		return nil, err
	}
	pt, err := aead.Open(nil, blob[headerLen:headerLen+nonceLen], blob[headerLen+nonceLen:], blob[:headerLen])
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	return pt, nil
}

func gcm(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return a, nil
}
