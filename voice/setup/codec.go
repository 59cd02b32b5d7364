package setup

import (
	"encoding/binary"
	"fmt"
	"time"
)

// Wire magics: a body and the signed envelope around it.
var (
	bodyMagic     = [4]byte{'M', 'Z', 'S', '1'}
	envelopeMagic = [4]byte{'M', 'Z', 'E', '1'}
)

// encodeBody writes m in its one canonical form.
func encodeBody(m *Message) ([]byte, error) {
	if err := m.check(false); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 256+len(m.SDP)+len(m.KEM))
	b = append(b, bodyMagic[:]...)
	b = append(b, byte(m.Kind))
	b = append(b, m.CallID[:]...)
	b = appendLP8(b, []byte(m.From))
	b = appendLP8(b, []byte(m.To))
	b = append(b, m.FromFP[:]...)
	b = append(b, m.ToFP[:]...)
	b = binary.BigEndian.AppendUint32(b, m.Seq)
	b = binary.BigEndian.AppendUint64(b, uint64(m.Time.UnixMilli()))
	b = append(b, m.Nonce[:]...)
	b = append(b, m.Ref[:]...)
	b = appendLP16(b, []byte(m.SDP))
	b = appendLP16(b, m.KEM)
	b = appendLP8(b, m.SAS)
	b = appendLP8(b, []byte(m.Reason))
	on := byte(0)
	if m.On {
		on = 1
	}
	return append(b, on), nil
}

// decodeBody is the strict inverse of encodeBody. receiving adds the rules
// only a receiver enforces (see check).
func decodeBody(b []byte, receiving bool) (*Message, error) {
	r := reader{b: b}
	var magic [4]byte
	r.fixed(magic[:])
	if !r.failed() && magic != bodyMagic {
		return nil, fmt.Errorf("%w: body magic %q", ErrMalformed, magic[:])
	}
	m := &Message{Kind: Kind(r.byte())}
	r.fixed(m.CallID[:])
	m.From = string(r.lp8(MaxDeviceID))
	m.To = string(r.lp8(MaxDeviceID))
	r.fixed(m.FromFP[:])
	r.fixed(m.ToFP[:])
	m.Seq = r.uint32()
	m.Time = time.UnixMilli(int64(r.uint64())).UTC()
	r.fixed(m.Nonce[:])
	r.fixed(m.Ref[:])
	m.SDP = string(r.lp16(MaxSDP))
	if kem := r.lp16(MaxSDP); len(kem) > 0 {
		m.KEM = kem
	}
	if sas := r.lp8(255); len(sas) > 0 {
		m.SAS = sas
	}
	m.Reason = string(r.lp8(MaxReason))
	switch on := r.byte(); on {
	case 0:
	case 1:
		m.On = true
	default:
		if !r.failed() {
			return nil, fmt.Errorf("%w: hold flag %d", ErrMalformed, on)
		}
	}
	if err := r.end(); err != nil {
		return nil, err
	}
	if err := m.check(receiving); err != nil {
		return nil, err
	}
	return m, nil
}

// envelope is a signed body with the certificate that signed it.
type envelope struct {
	body, cert, sig []byte
}

func (e *envelope) encode() []byte {
	b := make([]byte, 0, 4+2+len(e.body)+2+len(e.cert)+1+len(e.sig))
	b = append(b, envelopeMagic[:]...)
	b = appendLP16(b, e.body)
	b = appendLP16(b, e.cert)
	return appendLP8(b, e.sig)
}

func decodeEnvelope(b []byte) (*envelope, error) {
	if len(b) > MaxEnvelope {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrMalformed, len(b), MaxEnvelope)
	}
	r := reader{b: b}
	var magic [4]byte
	r.fixed(magic[:])
	if !r.failed() && magic != envelopeMagic {
		return nil, fmt.Errorf("%w: envelope magic %q", ErrMalformed, magic[:])
	}
	e := &envelope{body: r.lp16(MaxEnvelope), cert: r.lp16(MaxCert), sig: r.lp8(MaxSignature)}
	if err := r.end(); err != nil {
		return nil, err
	}
	if len(e.cert) == 0 || len(e.sig) == 0 {
		return nil, fmt.Errorf("%w: envelope without certificate or signature", ErrMalformed)
	}
	return e, nil
}

func appendLP8(b, v []byte) []byte { return append(append(b, byte(len(v))), v...) }
func appendLP16(b, v []byte) []byte {
	return append(binary.BigEndian.AppendUint16(b, uint16(len(v))), v...)
}

// reader consumes a byte slice front to back and remembers the first error,
// so a decoder reads like the encoder and checks once at the end.
type reader struct {
	b   []byte
	err error
}

func (r *reader) failed() bool { return r.err != nil }

func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.err = fmt.Errorf("%w: truncated: need %d bytes, have %d", ErrMalformed, n, len(r.b))
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) fixed(dst []byte) { copy(dst, r.take(len(dst))) }

func (r *reader) byte() byte {
	if v := r.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (r *reader) uint32() uint32 {
	if v := r.take(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (r *reader) uint64() uint64 {
	if v := r.take(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

func (r *reader) lp8(max int) []byte { return r.capped(int(r.byte()), max) }

func (r *reader) lp16(max int) []byte {
	n := 0
	if v := r.take(2); v != nil {
		n = int(binary.BigEndian.Uint16(v))
	}
	return r.capped(n, max)
}

func (r *reader) capped(n, max int) []byte {
	if r.err == nil && n > max {
		r.err = fmt.Errorf("%w: field of %d bytes, at most %d", ErrMalformed, n, max)
	}
	return r.take(n)
}

func (r *reader) end() error {
	if r.err != nil {
		return r.err
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(r.b))
	}
	return nil
}
