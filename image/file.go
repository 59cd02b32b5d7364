package image

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
)

// An image file is a 64 KiB header, then the parts at the 4 KiB-aligned
// offsets the manifest gives, zero-filled between them:
//
//	offset  size  field
//	0       8     magic "MZIMAGE\x00"
//	8       4     header format, big-endian, 1
//	12      4     manifest length m (at most 16 KiB)
//	16      4     signature count n (1 to 4)
//	20      4     zero
//	24      m     manifest (JSON)
//	24+m    72*n  signatures: key ID (8 bytes), Ed25519 signature (64)
//	...           zero up to 65536
//
// Everything outside the signed manifest must be zero or a part whose hash
// the manifest holds, so any changed byte fails verification.
const (
	headerSize    = 64 << 10
	headerFormat  = 1
	maxSignatures = 4
	sigLen        = 8 + ed25519.SignatureSize
)

var fileMagic = [8]byte{'M', 'Z', 'I', 'M', 'A', 'G', 'E', 0}

// signedPrefix separates our signatures from any other use of the key.
const signedPrefix = "mehfooz image manifest v1\x00"

// Signature is one signature over the manifest.
type Signature struct {
	KeyID [8]byte
	Sig   []byte
}

// Header is an image's header as read, before any verification.
type Header struct {
	Manifest   []byte // stored bytes: parse only after verifying
	Signatures []Signature
}

// Contents are an image's parts.
type Contents struct {
	Kernel, Initramfs, Cmdline []byte
}

// Write lays out and signs an image: m's parts are filled in from c, and
// every key signs. The same m, c and keys give the same bytes.
func Write(w io.Writer, m Manifest, c Contents, keys ...ed25519.PrivateKey) error {
	if len(keys) == 0 {
		return fmt.Errorf("%w: no signing key", ErrUnsigned)
	}
	if len(keys) > maxSignatures {
		return fmt.Errorf("image: %d signing keys, at most %d", len(keys), maxSignatures)
	}
	m.Format = formatVersion
	m.Parts = nil
	off := int64(headerSize)
	for _, p := range []struct {
		name string
		data []byte
	}{{PartKernel, c.Kernel}, {PartInitramfs, c.Initramfs}, {PartCmdline, c.Cmdline}} {
		sum := sha256.Sum256(p.data)
		m.Parts = append(m.Parts, Part{Name: p.name, Offset: off, Size: int64(len(p.data)), SHA256: hex.EncodeToString(sum[:])})
		off = align(off + int64(len(p.data)))
	}
	mb, err := m.Encode()
	if err != nil {
		return err
	}
	hdr := make([]byte, headerSize)
	copy(hdr, fileMagic[:])
	binary.BigEndian.PutUint32(hdr[8:], headerFormat)
	binary.BigEndian.PutUint32(hdr[12:], uint32(len(mb)))
	binary.BigEndian.PutUint32(hdr[16:], uint32(len(keys)))
	copy(hdr[24:], mb)
	at := 24 + len(mb)
	for _, k := range keys {
		id := KeyID(k.Public().(ed25519.PublicKey))
		copy(hdr[at:], id[:])
		copy(hdr[at+8:], ed25519.Sign(k, signedMessage(mb)))
		at += sigLen
	}
	if _, err := w.Write(hdr); err != nil {
		return fmt.Errorf("image: write header: %w", err)
	}
	pos := int64(headerSize)
	for i, data := range [][]byte{c.Kernel, c.Initramfs, c.Cmdline} {
		if _, err := w.Write(data); err != nil {
			return fmt.Errorf("image: write %s: %w", m.Parts[i].Name, err)
		}
		pos += int64(len(data))
		if i < 2 { // the last part is not padded: the file ends with it
			pad := align(pos) - pos
			if _, err := w.Write(make([]byte, pad)); err != nil {
				return fmt.Errorf("image: write padding: %w", err)
			}
			pos += pad
		}
	}
	return nil
}

func align(n int64) int64 { return (n + partAlign - 1) &^ (partAlign - 1) }

func signedMessage(manifest []byte) []byte {
	return append([]byte(signedPrefix), manifest...)
}

// ReadHeader reads the header of an image. Nothing in it is trusted yet.
func ReadHeader(r io.ReaderAt) (*Header, error) {
	hdr := make([]byte, headerSize)
	if n, err := r.ReadAt(hdr, 0); n < headerSize {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%w: header: %w", ErrFormat, err)
	}
	return parseHeader(hdr)
}

func parseHeader(hdr []byte) (*Header, error) {
	if !bytes.Equal(hdr[:8], fileMagic[:]) {
		return nil, fmt.Errorf("%w: not a Mehfooz image (magic %q)", ErrFormat, hdr[:8])
	}
	if f := binary.BigEndian.Uint32(hdr[8:]); f != headerFormat {
		return nil, fmt.Errorf("%w: header format %d, want %d", ErrFormat, f, headerFormat)
	}
	mlen := int(binary.BigEndian.Uint32(hdr[12:]))
	nsig := int(binary.BigEndian.Uint32(hdr[16:]))
	if mlen == 0 || mlen > maxManifest {
		return nil, fmt.Errorf("%w: manifest length %d", ErrFormat, mlen)
	}
	if nsig == 0 {
		return nil, ErrUnsigned
	}
	if nsig > maxSignatures {
		return nil, fmt.Errorf("%w: %d signatures, at most %d", ErrFormat, nsig, maxSignatures)
	}
	if binary.BigEndian.Uint32(hdr[20:]) != 0 {
		return nil, fmt.Errorf("%w: reserved header field set", ErrFormat)
	}
	h := &Header{Manifest: bytes.Clone(hdr[24 : 24+mlen])}
	at := 24 + mlen
	for range nsig {
		var s Signature
		copy(s.KeyID[:], hdr[at:])
		s.Sig = bytes.Clone(hdr[at+8 : at+sigLen])
		h.Signatures = append(h.Signatures, s)
		at += sigLen
	}
	if !allZero(hdr[at:]) {
		return nil, fmt.Errorf("%w: data after the signatures in the header", ErrFormat)
	}
	return h, nil
}

// Verify checks the header's signatures against keys: at least one must be
// a valid signature by one of them. Only then is the manifest parsed.
func (h *Header) Verify(keys []ed25519.PublicKey) (*Manifest, error) {
	if len(h.Signatures) == 0 {
		return nil, ErrUnsigned
	}
	msg := signedMessage(h.Manifest)
	for _, s := range h.Signatures {
		for _, k := range keys {
			if KeyID(k) == s.KeyID && ed25519.Verify(k, msg, s.Sig) {
				return DecodeManifest(h.Manifest)
			}
		}
	}
	ids := make([]string, len(h.Signatures))
	for i, s := range h.Signatures {
		ids[i] = hex.EncodeToString(s.KeyID[:])
	}
	return nil, fmt.Errorf("%w (signed by key IDs %v)", ErrBadSignature, ids)
}

// Verify checks a whole image of size bytes: signatures, then that the file
// is exactly as long as the manifest says, then every part's SHA-256 and the
// zero padding between parts. It returns the verified manifest.
func Verify(r io.ReaderAt, size int64, keys []ed25519.PublicKey) (*Manifest, error) {
	h, err := ReadHeader(r)
	if err != nil {
		return nil, err
	}
	m, err := h.Verify(keys)
	if err != nil {
		return nil, err
	}
	if err := VerifyParts(r, size, m); err != nil {
		return nil, err
	}
	return m, nil
}

// VerifyParts checks the parts and padding of an image whose manifest m
// has been verified. size is the length of the image file, or -1 when the
// image sits in a larger container (a slot partition) and ends at m.Size().
func VerifyParts(r io.ReaderAt, size int64, m *Manifest) error {
	if size >= 0 && size != m.Size() {
		return fmt.Errorf("%w: image is %d bytes, the manifest says %d", ErrTampered, size, m.Size())
	}
	pos := int64(headerSize)
	for _, p := range m.Parts {
		if err := checkZero(r, pos, p.Offset); err != nil {
			return err
		}
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(r, p.Offset, p.Size)); err != nil {
			return fmt.Errorf("image: read part %s: %w", p.Name, err)
		}
		if !bytes.Equal(h.Sum(nil), p.sum()) {
			return fmt.Errorf("%w: %s (%d bytes at offset %d)", ErrTampered, p.Name, p.Size, p.Offset)
		}
		pos = p.Offset + p.Size
	}
	return nil
}

// ReadPart returns a verified part's bytes, checking them again as they
// are read, so what the caller gets is what was signed even if the medium
// changed since Verify.
func ReadPart(r io.ReaderAt, m *Manifest, name string) ([]byte, error) {
	p, ok := m.Part(name)
	if !ok {
		return nil, fmt.Errorf("%w: no part %q", ErrFormat, name)
	}
	b := make([]byte, p.Size)
	if _, err := r.ReadAt(b, p.Offset); err != nil {
		return nil, fmt.Errorf("image: read part %s: %w", name, err)
	}
	if sum := sha256.Sum256(b); !bytes.Equal(sum[:], p.sum()) {
		return nil, fmt.Errorf("%w: %s", ErrTampered, name)
	}
	return b, nil
}

func checkZero(r io.ReaderAt, from, to int64) error {
	if to <= from {
		return nil
	}
	b := make([]byte, to-from)
	if _, err := r.ReadAt(b, from); err != nil {
		return fmt.Errorf("image: read padding: %w", err)
	}
	if !allZero(b) {
		return fmt.Errorf("%w: non-zero padding at offset %d", ErrTampered, from)
	}
	return nil
}

var zeroBlock [4096]byte

// allZero compares in blocks (memequal), which is fast even under the
// fuzzer's coverage instrumentation.
func allZero(b []byte) bool {
	for len(b) > 0 {
		n := min(len(b), len(zeroBlock))
		if !bytes.Equal(b[:n], zeroBlock[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}
