package wire

import (
	"encoding/binary"
	"fmt"
	"unicode/utf8"

	"mehfooz/trust"
)

// encoder appends fields to a byte slice.
type encoder struct{ b []byte }

func (e *encoder) u8(v uint8)   { e.b = append(e.b, v) }
func (e *encoder) u16(v uint16) { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *encoder) u32(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *encoder) i64(v int64)  { e.u64(uint64(v)) }
func (e *encoder) boolean(v bool) {
	if v {
		e.u8(1)
	} else {
		e.u8(0)
	}
}
func (e *encoder) str(s string) { e.u16(uint16(len(s))); e.b = append(e.b, s...) }
func (e *encoder) bytes16(p []byte) {
	e.u16(uint16(len(p)))
	e.b = append(e.b, p...)
}
func (e *encoder) bytes32(p []byte) { e.u32(uint32(len(p))); e.b = append(e.b, p...) }
func (e *encoder) fixed(p []byte)   { e.b = append(e.b, p...) }

// decoder consumes fields from a byte slice. The first failure sticks, so a
// message's decode method reads all its fields and checks err once.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrField}, args...)...)
	}
}

func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b) < n {
		d.err = fmt.Errorf("%w: %s needs %d bytes, %d left", ErrShort, what, n, len(d.b))
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}

func (d *decoder) u8(what string) uint8 {
	p := d.take(1, what)
	if p == nil {
		return 0
	}
	return p[0]
}

func (d *decoder) u16(what string) uint16 {
	p := d.take(2, what)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint16(p)
}

func (d *decoder) u32(what string) uint32 {
	p := d.take(4, what)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint32(p)
}

func (d *decoder) u64(what string) uint64 {
	p := d.take(8, what)
	if p == nil {
		return 0
	}
	return binary.BigEndian.Uint64(p)
}

func (d *decoder) i64(what string) int64 { return int64(d.u64(what)) }

func (d *decoder) boolean(what string) bool {
	switch v := d.u8(what); v {
	case 0:
		return false
	case 1:
		return true
	default:
		d.fail("%s: boolean byte %d", what, v)
		return false
	}
}

// bytes16 reads a uint16-length field of at most max bytes. The result
// aliases the frame; callers that keep it copy it.
func (d *decoder) bytes16(what string, max int) []byte {
	n := int(d.u16(what + " length"))
	if d.err == nil && n > max {
		d.fail("%s: %d bytes, cap %d", what, n, max)
		return nil
	}
	return d.take(n, what)
}

func (d *decoder) bytes32(what string, max int) []byte {
	n := d.u32(what + " length")
	if d.err == nil && int64(n) > int64(max) {
		d.fail("%s: %d bytes, cap %d", what, n, max)
		return nil
	}
	return d.take(int(n), what)
}

// id reads a device identifier (see ValidID).
func (d *decoder) id(what string) string {
	p := d.bytes16(what, MaxID)
	if d.err != nil {
		return ""
	}
	if err := ValidID(string(p)); err != nil {
		d.fail("%s: %v", what, err)
		return ""
	}
	return string(p)
}

// optionalID reads an identifier that may be empty.
func (d *decoder) optionalID(what string) string {
	p := d.bytes16(what, MaxID)
	if d.err != nil || len(p) == 0 {
		return ""
	}
	if err := ValidID(string(p)); err != nil {
		d.fail("%s: %v", what, err)
		return ""
	}
	return string(p)
}

// text reads printable UTF-8 of at most max bytes.
func (d *decoder) text(what string, max int) string {
	p := d.bytes16(what, max)
	if d.err != nil {
		return ""
	}
	if err := validText(string(p), max); err != nil {
		d.fail("%s: %v", what, err)
		return ""
	}
	return string(p)
}

// token reads a code such as an error code (see validToken).
func (d *decoder) token(what string) string {
	p := d.bytes16(what, maxToken)
	if d.err != nil {
		return ""
	}
	if err := validToken(string(p)); err != nil {
		d.fail("%s: %v", what, err)
		return ""
	}
	return string(p)
}

func (d *decoder) call(what string) CallID {
	var c CallID
	copy(c[:], d.take(len(c), what))
	if d.err == nil && c.IsZero() {
		d.fail("%s: zero call ID", what)
	}
	return c
}

// end reports the sticky error, or ErrTrailing if bytes are left.
func (d *decoder) end() error {
	if d.err != nil {
		return d.err
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%w: %d bytes", ErrTrailing, len(d.b))
	}
	return nil
}

const maxToken = 32

// ValidID reports whether s has the form of a device ID (trust.DeviceID):
// 3 to 32 bytes of a-z, 0-9 and inner '-'. The form has no ':' (TURN
// usernames use it as separator), no '/' and no space.
func ValidID(s string) error {
	if !trust.ValidName(s) {
		return fmt.Errorf("device ID %q is not 3..32 of [a-z0-9-]", s)
	}
	return nil
}

// validToken accepts lower-case codes like "not-allowed".
func validToken(s string) error {
	if len(s) == 0 || len(s) > maxToken {
		return fmt.Errorf("code length %d not in 1..%d", len(s), maxToken)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("code has byte %#x at %d", c, i)
		}
	}
	return nil
}

// validText accepts UTF-8 without control characters, so a reason can be
// logged and shown without escaping.
func validText(s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("text of %d bytes, cap %d", len(s), max)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("text is not UTF-8")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("text has control character %U", r)
		}
	}
	return nil
}
