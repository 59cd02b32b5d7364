package keystore

import (
	"fmt"
	"slices"

	"mehfooz/trust"
	"mehfooz/trust/bundle"
	"mehfooz/trust/revocation"
	"mehfooz/trust/seal"
)

// The state file, format 1 (integers big-endian):
//
//	magic     "MHZK"                      4
//	format    0x01                        1
//	flags     bit 0: wiped (a tombstone)  1
//	max       wrong PINs before a wipe    1
//	failed    wrong PINs so far           1
//	kdf       argon2id time u32, memory KiB u32, lanes u8
//	salt      16
//	id        uint8 length + device ID
//	cert      uint16 length + DER (0 before enrollment)
//	notice    uint16 length + "revoke me: wiped" request, pre-signed
//	outbox    uint16 length + request the daemon must deliver (0 if none)
//	main      nonce 12 + AES-256-GCM(KEK, DEK)              = 60
//	duress    nonce 12 + AES-256-GCM(KEK, padded request)   = 12+duressLen+16
//	secrets   uint32 length + nonce 12 + AES-256-GCM(DEK, secrets)
//
// KEK = HMAC-SHA-256(device secret, "mehfooz keystore kek v1" ‖
// argon2id(PIN, salt)). The same KEK is tried against main and against
// duress; without a duress PIN, duress holds random bytes, so the file does
// not reveal whether one is set.
type state struct {
	wiped   bool
	max     uint8
	failed  uint8
	params  seal.Params
	salt    [16]byte
	id      trust.DeviceID
	cert    []byte
	notice  []byte
	outbox  []byte
	main    []byte
	duress  []byte
	secrets []byte
}

const (
	stateMagic = "MHZK"
	mainLen    = 12 + 32 + 16
	duressPad  = 256 // a revoke request (≤ 220 bytes) with a length byte, padded
	duressLen  = 12 + 1 + duressPad + 16
	maxSecrets = 4 << 20
	// MaxStateSize caps the state file read at open.
	MaxStateSize = 64 + 33 + 2 + trust.MaxCertificateSize + 4 + 2*revocation.MaxRequestSize + mainLen + duressLen + 4 + maxSecrets
)

func (s *state) encode() []byte {
	w := &bundle.Writer{}
	w.Raw([]byte(stateMagic))
	w.U8(1)
	var flags uint8
	if s.wiped {
		flags = 1
	}
	w.U8(flags)
	w.U8(s.max)
	w.U8(s.failed)
	w.U32(s.params.Time)
	w.U32(s.params.MemoryKiB)
	w.U8(s.params.Threads)
	w.Raw(s.salt[:])
	w.Bytes8([]byte(s.id))
	w.Bytes16(s.cert)
	w.Bytes16(s.notice)
	w.Bytes16(s.outbox)
	w.Raw(s.main)
	w.Raw(s.duress)
	w.U32(uint32(len(s.secrets)))
	w.Raw(s.secrets)
	return w.B
}

func decodeState(b []byte) (*state, error) {
	if len(b) > MaxStateSize {
		return nil, fmt.Errorf("keystore: %w: state of %d bytes", trust.ErrMalformed, len(b))
	}
	r := bundle.NewReader(b)
	if m := r.Fixed(4); r.Err() == nil && string(m) != stateMagic {
		r.Fail("not a keystore")
	}
	if f := r.U8(); r.Err() == nil && f != 1 {
		r.Fail("keystore format %d", f)
	}
	s := &state{}
	flags := r.U8()
	if flags&^1 != 0 {
		r.Fail("unknown flags %#x", flags)
	}
	s.wiped = flags&1 != 0
	s.max, s.failed = r.U8(), r.U8()
	s.params = seal.Params{Time: r.U32(), MemoryKiB: r.U32(), Threads: r.U8()}
	copy(s.salt[:], r.Fixed(16))
	s.id = trust.DeviceID(r.Name("device ID"))
	s.cert = r.Bytes16(trust.MaxCertificateSize)
	s.notice = r.Bytes16(revocation.MaxRequestSize)
	s.outbox = r.Bytes16(revocation.MaxRequestSize)
	s.main = r.Fixed(mainLen)
	s.duress = r.Fixed(duressLen)
	n := r.U32()
	if n > maxSecrets+12+16 {
		r.Fail("secrets of %d bytes", n)
	}
	s.secrets = r.Fixed(int(n))
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	if err := s.params.Validate(); err != nil {
		return nil, fmt.Errorf("keystore: %w: %v", trust.ErrMalformed, err)
	}
	if s.max == 0 || s.failed > s.max {
		return nil, fmt.Errorf("keystore: %w: %d of %d attempts", trust.ErrMalformed, s.failed, s.max)
	}
	if !s.wiped && len(s.secrets) < 12+16 {
		return nil, fmt.Errorf("keystore: %w: no sealed secrets", trust.ErrMalformed)
	}
	return s, nil
}

// secrets map encoding inside the sealed blob: uint16 count, then per item
// in increasing name order: uint8 length + name, uint32 length + value.
func encodeSecrets(m map[string][]byte) []byte {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	w := &bundle.Writer{}
	w.U16(uint16(len(names)))
	for _, n := range names {
		w.Bytes8([]byte(n))
		w.U32(uint32(len(m[n])))
		w.Raw(m[n])
	}
	return w.B
}

func decodeSecrets(b []byte) (map[string][]byte, error) {
	r := bundle.NewReader(b)
	n := int(r.U16())
	m := make(map[string][]byte, n)
	prev := ""
	for i := 0; i < n && r.Err() == nil; i++ {
		name := string(r.Bytes8(64))
		l := r.U32()
		if l > maxSecrets {
			r.Fail("secret of %d bytes", l)
		}
		v := r.Fixed(int(l))
		if i > 0 && name <= prev {
			r.Fail("secrets not in increasing order")
		}
		prev = name
		m[name] = append([]byte(nil), v...)
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	return m, nil
}
