package bundle

import (
	"encoding/binary"
	"fmt"
	"unicode"
	"unicode/utf8"

	"mehfooz/trust"
)

// Writer appends big-endian fields; the encodings in this layer are built
// with it so that one value has exactly one encoding.
type Writer struct{ B []byte }

func (w *Writer) U8(v uint8)   { w.B = append(w.B, v) }
func (w *Writer) U16(v uint16) { w.B = binary.BigEndian.AppendUint16(w.B, v) }
func (w *Writer) U32(v uint32) { w.B = binary.BigEndian.AppendUint32(w.B, v) }
func (w *Writer) U64(v uint64) { w.B = binary.BigEndian.AppendUint64(w.B, v) }
func (w *Writer) I64(v int64)  { w.U64(uint64(v)) }
func (w *Writer) Raw(b []byte) { w.B = append(w.B, b...) }

// Bytes8 writes a length byte and b (len(b) must be < 256).
func (w *Writer) Bytes8(b []byte) { w.U8(uint8(len(b))); w.Raw(b) }

// Bytes16 writes a 16-bit length and b (len(b) must be < 65536).
func (w *Writer) Bytes16(b []byte) { w.U16(uint16(len(b))); w.Raw(b) }

// Reader decodes fields strictly. The first failure sticks: later reads
// return zero values and Err reports the first problem.
type Reader struct {
	b   []byte
	err error
}

// NewReader reads b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

func (r *Reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", trust.ErrMalformed, fmt.Sprintf(format, args...))
	}
	r.b = nil
}

// Fail records a semantic error found by the caller.
func (r *Reader) Fail(format string, args ...any) { r.fail(format, args...) }

// Err returns the first error.
func (r *Reader) Err() error { return r.err }

// Done fails unless every byte was consumed, then returns Err.
func (r *Reader) Done() error {
	if r.err == nil && len(r.b) != 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	return r.err
}

// Fixed returns the next n bytes (aliasing the input).
func (r *Reader) Fixed(n int) []byte {
	if r.err != nil {
		return nil
	}
	if len(r.b) < n {
		r.fail("truncated: need %d bytes, have %d", n, len(r.b))
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *Reader) U8() uint8 {
	if b := r.Fixed(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *Reader) U16() uint16 {
	if b := r.Fixed(2); b != nil {
		return binary.BigEndian.Uint16(b)
	}
	return 0
}

func (r *Reader) U32() uint32 {
	if b := r.Fixed(4); b != nil {
		return binary.BigEndian.Uint32(b)
	}
	return 0
}

func (r *Reader) U64() uint64 {
	if b := r.Fixed(8); b != nil {
		return binary.BigEndian.Uint64(b)
	}
	return 0
}

func (r *Reader) I64() int64 { return int64(r.U64()) }

// Bytes8 reads a byte-length-prefixed field of at most max bytes.
func (r *Reader) Bytes8(max int) []byte {
	n := int(r.U8())
	if n > max {
		r.fail("field of %d bytes exceeds %d", n, max)
		return nil
	}
	return r.Fixed(n)
}

// Bytes16 reads a 16-bit-length-prefixed field of at most max bytes.
func (r *Reader) Bytes16(max int) []byte {
	n := int(r.U16())
	if n > max {
		r.fail("field of %d bytes exceeds %d", n, max)
		return nil
	}
	return r.Fixed(n)
}

// Name reads a byte-prefixed device ID, technician or group name.
func (r *Reader) Name(what string) string {
	b := r.Bytes8(32)
	if r.err == nil && !trust.ValidName(string(b)) {
		r.fail("%s %q is not a valid name", what, b)
	}
	return string(b)
}

// Text reads a 16-bit-prefixed display string of at most max bytes that
// must be valid UTF-8 without control or format characters (which could
// reorder or hide text on screen: bidi overrides, zero-width joiners are
// refused except ZWJ/ZWNJ, which Urdu orthography needs).
func (r *Reader) Text(what string, max int) string {
	b := r.Bytes16(max)
	if r.err != nil {
		return ""
	}
	if err := CheckText(string(b), max); err != nil {
		r.fail("%s: %v", what, err)
		return ""
	}
	return string(b)
}

// CheckText applies Text's rules to s.
func CheckText(s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("%d bytes exceeds %d", len(s), max)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("invalid UTF-8")
	}
	for _, c := range s {
		if c == '\u200c' || c == '\u200d' { // ZWNJ, ZWJ: part of Urdu spelling
			continue
		}
		if unicode.IsControl(c) || unicode.Is(unicode.Cf, c) {
			return fmt.Errorf("control or format character %U", c)
		}
	}
	return nil
}

// Remaining reports how many bytes are left to read.
func (r *Reader) Remaining() int { return len(r.b) }
