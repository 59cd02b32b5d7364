package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"sync"

	"mehfooz/voice/internal/wipe"
)

// HKDF info labels: one key and salt per direction (RFC 5869 section 3.2).
const (
	labelCallerToCallee = "mehfooz/v1 frame caller->callee"
	labelCalleeToCaller = "mehfooz/v1 frame callee->caller"
	keyLen, saltLen     = 32, 12
)

// New expands the call's pseudorandom key prk (HKDF-Extract output, 48 bytes
// of SHA-384) into the Sealer for this side's frames and the Opener for the
// peer's. caller says which side this is. prk is not retained.
func New(prk []byte, caller bool) (*Sealer, *Opener, error) {
	if len(prk) < sha512.Size384 {
		return nil, nil, fmt.Errorf("seal: pseudorandom key of %d bytes, need %d", len(prk), sha512.Size384)
	}
	sendLabel, recvLabel := labelCallerToCallee, labelCalleeToCaller
	if !caller {
		sendLabel, recvLabel = recvLabel, sendLabel
	}
	s, err := newDirection(prk, sendLabel)
	if err != nil {
		return nil, nil, err
	}
	o, err := newDirection(prk, recvLabel)
	if err != nil {
		s.erase()
		return nil, nil, err
	}
	return &Sealer{dir: s}, &Opener{dir: o}, nil
}

// direction is one key and nonce salt.
type direction struct {
	aead cipher.AEAD
	salt [saltLen]byte
	gone bool
	// scratch for the nonce and header, so sealing does not allocate; the
	// owner's mutex guards them.
	nonceBuf [saltLen]byte
	hdrBuf   [HeaderLen]byte
}

func newDirection(prk []byte, label string) (*direction, error) {
	okm, err := hkdf.Expand(sha512.New384, prk, label, keyLen+saltLen)
	if err != nil {
		return nil, fmt.Errorf("seal: expand %q: %w", label, err)
	}
	defer wipe.Bytes(okm)
	block, err := aes.NewCipher(okm[:keyLen])
	if err != nil {
		return nil, fmt.Errorf("seal: aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: gcm: %w", err)
	}
	d := &direction{aead: aead}
	copy(d.salt[:], okm[keyLen:])
	return d, nil
}

// nonce is the salt XOR the counter in its last four bytes, as TLS 1.3 forms
// per-record nonces (RFC 8446 section 5.3).
func (d *direction) nonce(c uint32) []byte {
	d.nonceBuf = d.salt
	x := binary.BigEndian.Uint32(d.nonceBuf[saltLen-4:]) ^ c
	binary.BigEndian.PutUint32(d.nonceBuf[saltLen-4:], x)
	return d.nonceBuf[:]
}

func (d *direction) erase() error {
	d.gone = true
	wipe.Bytes(d.salt[:], d.nonceBuf[:])
	return wipe.Opaque(d.aead)
}

func (d *direction) erased() bool {
	z, err := wipe.IsZero(d.aead)
	return d.gone && err == nil && z && d.salt == [saltLen]byte{} && d.nonceBuf == [saltLen]byte{}
}

// Sealer seals this side's frames. It is safe for concurrent use.
type Sealer struct {
	mu   sync.Mutex
	dir  *direction
	next uint64 // counter of the next frame; 1<<32 when exhausted
}

// Seal appends the sealed form of frame to dst and returns it.
func (s *Sealer) Seal(dst, frame []byte, flags byte) ([]byte, error) {
	if len(frame) > MaxFrame {
		return dst, fmt.Errorf("%w: frame of %d bytes", ErrMalformed, len(frame))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.dir.gone {
		return dst, ErrErased
	}
	if s.next > 0xffffffff {
		return dst, ErrExhausted
	}
	h := Header{Version: Version, Flags: flags & flagMask, Counter: uint32(s.next)}
	s.next++
	hdr := s.dir.hdrBuf[:]
	h.put(hdr)
	return s.dir.aead.Seal(append(dst, hdr...), s.dir.nonce(h.Counter), frame, hdr), nil
}

// Erase zeroizes the keys. Every later Seal fails with ErrErased.
func (s *Sealer) Erase() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dir.erase()
}

// Erased reports whether Erase zeroized every byte of key material; the
// hang-up tests use it.
func (s *Sealer) Erased() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dir.erased()
}

// Opener opens the peer's frames and keeps the replay window. It is safe for
// concurrent use.
type Opener struct {
	mu  sync.Mutex
	dir *direction
	win window
}

// Open authenticates a sealed frame and appends its plaintext to dst, which
// must not overlap sealed. It returns the header so the caller can honour its
// flags.
func (o *Opener) Open(dst, sealed []byte) ([]byte, Header, error) {
	h, body, err := ParseHeader(sealed)
	if err != nil {
		return dst, Header{}, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.dir.gone {
		return dst, Header{}, ErrErased
	}
	if err := o.win.check(h.Counter); err != nil {
		return dst, Header{}, fmt.Errorf("counter %d: %w", h.Counter, err)
	}
	out, err := o.dir.aead.Open(dst, o.dir.nonce(h.Counter), body, sealed[:HeaderLen])
	if err != nil {
		return dst, Header{}, ErrAuth
	}
	o.win.accept(h.Counter)
	return out, h, nil
}

// Erase zeroizes the keys. Every later Open fails with ErrErased.
func (o *Opener) Erase() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dir.erase()
}

// Erased reports whether Erase zeroized every byte of key material.
func (o *Opener) Erased() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dir.erased()
}
