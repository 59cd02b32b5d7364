package image

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
)

// Manifest describes one image. It is stored as JSON so a technician can
// read it (phonectl verify prints it), and signed as the exact bytes stored,
// so no canonical form is needed: the bytes are verified before they are
// parsed.
type Manifest struct {
	Format  int    `json:"format"`  // 1
	Board   string `json:"board"`   // board.Board.Name
	Arch    string `json:"arch"`    // GOARCH of phoned
	Version uint64 `json:"version"` // anti-rollback index: never below the device's floor
	Label   string `json:"label"`   // human release name, e.g. "2026.11-pilot"
	Kernel  string `json:"kernel"`  // kernel release, e.g. "6.1.0-56-amd64"
	Parts   []Part `json:"parts"`
}

// Part is one piece of the image, stored at Offset in the image file.
type Part struct {
	Name   string `json:"name"`
	Offset int64  `json:"offset"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // lowercase hex
}

// Limits on what a manifest may describe.
const (
	formatVersion = 1
	partAlign     = 4096
	maxPartSize   = 512 << 20
	maxManifest   = 16 << 10
)

var (
	boardRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
	textRe  = regexp.MustCompile(`^[\x20-\x7e]{0,128}$`)
	hashRe  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Part returns the named part.
func (m *Manifest) Part(name string) (Part, bool) {
	for _, p := range m.Parts {
		if p.Name == name {
			return p, true
		}
	}
	return Part{}, false
}

// Encode returns the manifest's stored form.
func (m *Manifest) Encode() ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("image: encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// DecodeManifest parses and checks a manifest. Callers verify its signature
// first; it is fuzzed all the same.
func DecodeManifest(b []byte) (*Manifest, error) {
	if len(b) > maxManifest {
		return nil, fmt.Errorf("%w: manifest of %d bytes", ErrFormat, len(b))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: manifest: %w", ErrFormat, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the manifest", ErrFormat)
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *Manifest) validate() error {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("%w: manifest: "+f, append([]any{ErrFormat}, a...)...)
	}
	switch {
	case m.Format != formatVersion:
		return bad("format %d, want %d", m.Format, formatVersion)
	case !boardRe.MatchString(m.Board):
		return bad("board %q", m.Board)
	case !boardRe.MatchString(m.Arch):
		return bad("arch %q", m.Arch)
	case m.Version == 0:
		return bad("version 0 (versions start at 1)")
	case !textRe.MatchString(m.Label) || !textRe.MatchString(m.Kernel):
		return bad("label or kernel release not printable ASCII of at most 128 bytes")
	}
	want := map[string]bool{PartKernel: true, PartInitramfs: true, PartCmdline: true}
	end := int64(headerSize)
	for _, p := range m.Parts {
		if !want[p.Name] {
			return bad("unexpected or repeated part %q", p.Name)
		}
		delete(want, p.Name)
		switch {
		case p.Size <= 0 || p.Size > maxPartSize:
			return bad("part %s has size %d", p.Name, p.Size)
		case p.Offset%partAlign != 0 || p.Offset < end:
			// Parts are in file order, aligned, and never overlap.
			return bad("part %s at offset %d (must be %d-aligned, at or after %d)", p.Name, p.Offset, partAlign, end)
		case !hashRe.MatchString(p.SHA256):
			return bad("part %s hash %q", p.Name, p.SHA256)
		}
		end = p.Offset + p.Size
	}
	for name := range want {
		return bad("missing part %q", name)
	}
	return nil
}

// Size is the length of the image file the manifest describes.
func (m *Manifest) Size() int64 {
	var end int64 = headerSize
	for _, p := range m.Parts {
		end = max(end, p.Offset+p.Size)
	}
	return end
}

func (p Part) sum() []byte {
	b, _ := hex.DecodeString(p.SHA256)
	return b
}
