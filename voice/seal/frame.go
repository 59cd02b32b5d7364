package seal

import (
	"encoding/binary"
	"errors"
	"fmt"
)

const (
	// Version is the frame format this package writes and reads.
	Version = 1
	// HeaderLen is the size of the clear header of a sealed frame.
	HeaderLen = 5
	// TagLen is the size of the AES-GCM authentication tag.
	TagLen = 16
	// Overhead is what sealing adds to a frame.
	Overhead = HeaderLen + TagLen
	// MaxFrame is the largest frame sealed or opened: the largest Opus packet
	// (RFC 6716 section 3.4, R5) with room to spare for a future codec.
	MaxFrame = 1500
)

// Flags travel authenticated in the low nibble of the first header byte.
const (
	// FlagFiller marks a frame that carries no audio: a side on hold keeps
	// sending frames of the same size and rate (so the link shows nothing), and
	// the receiver discards them without decoding.
	FlagFiller byte = 0x1
	flagMask   byte = 0xf
)

var (
	// ErrMalformed is a sealed frame that is too short, too long or of an
	// unknown version.
	ErrMalformed = errors.New("seal: malformed frame")
	// ErrAuth is a frame whose tag does not verify: tampered, or sealed
	// under another key (a peer without the inner layer, or a reflection).
	ErrAuth = errors.New("seal: frame failed authentication")
	// ErrReplay is a frame whose counter was already accepted.
	ErrReplay = errors.New("seal: replayed frame")
	// ErrLate is a frame older than the replay window.
	ErrLate = errors.New("seal: frame older than the replay window")
	// ErrExhausted means the direction's counter is used up; the call must end.
	ErrExhausted = errors.New("seal: frame counter exhausted")
	// ErrErased is any use of a Sealer or Opener after Erase.
	ErrErased = errors.New("seal: keys erased")
)

// Header is the clear part of a sealed frame.
type Header struct {
	Version byte
	Flags   byte
	Counter uint32
}

// ParseHeader splits a sealed frame into its header and the ciphertext with
// its tag. It checks sizes and the version and nothing else: the header is
// authenticated only when the frame is opened.
func ParseHeader(b []byte) (Header, []byte, error) {
	if len(b) < Overhead {
		return Header{}, nil, fmt.Errorf("%w: %d bytes, need at least %d", ErrMalformed, len(b), Overhead)
	}
	if len(b) > MaxFrame+Overhead {
		return Header{}, nil, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformed, len(b), MaxFrame+Overhead)
	}
	h := Header{Version: b[0] >> 4, Flags: b[0] & flagMask, Counter: binary.BigEndian.Uint32(b[1:HeaderLen])}
	if h.Version != Version {
		return Header{}, nil, fmt.Errorf("%w: version %d", ErrMalformed, h.Version)
	}
	return h, b[HeaderLen:], nil
}

// put writes h into the first HeaderLen bytes of b.
func (h Header) put(b []byte) {
	b[0] = h.Version<<4 | h.Flags&flagMask
	binary.BigEndian.PutUint32(b[1:HeaderLen], h.Counter)
}
