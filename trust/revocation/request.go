package revocation

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha512"
	"fmt"
	"time"

	"mehfooz/trust"
	"mehfooz/trust/bundle"
)

// A Request is a handset asking, under its own device key, to be revoked.
// The keystore signs one in advance while it is unlocked, because after a
// duress PIN or a wipe the key it would need is gone; the daemon sends it to
// the exchange, which verifies it with the device's certificate.
//
// Format (integers big-endian):
//
//	magic   "MHZR" 4
//	format  0x01   1
//	id      uint8 length + device ID
//	reason  uint8 length + reason name
//	signed  int64 Unix seconds
//	sig     uint8 length + ASN.1 ECDSA P-384/SHA-384 signature over
//	        "mehfooz revoke request v1" 0x00 and every byte before sig
type Request struct {
	ID     trust.DeviceID
	Reason string
	Signed time.Time
	signed []byte
	sig    []byte
}

const (
	reqMagic   = "MHZR"
	reqContext = "mehfooz revoke request v1\x00"
	// MaxRequestSize caps an encoded request.
	MaxRequestSize = 4 + 1 + 33 + 33 + 8 + 1 + 140
)

// NewRequest signs a request to revoke id for reason at time at.
func NewRequest(signer crypto.Signer, id trust.DeviceID, reason string, at time.Time) ([]byte, error) {
	if !id.Valid() || !trust.ValidName(reason) {
		return nil, fmt.Errorf("revocation: new request: bad id %q or reason %q", id, reason)
	}
	w := &bundle.Writer{}
	w.Raw([]byte(reqMagic))
	w.U8(1)
	w.Bytes8([]byte(id))
	w.Bytes8([]byte(reason))
	w.I64(at.Unix())
	sig, err := signer.Sign(rand.Reader, reqDigest(w.B), crypto.SHA384)
	if err != nil {
		return nil, fmt.Errorf("revocation: new request: %w", err)
	}
	w.Bytes8(sig)
	return w.B, nil
}

func reqDigest(b []byte) []byte {
	h := sha512.New384()
	h.Write([]byte(reqContext))
	h.Write(b)
	return h.Sum(nil)
}

// ParseRequest decodes a request strictly. It does not check the signature:
// call Verify with the key of the device's certificate.
func ParseRequest(raw []byte) (*Request, error) {
	if len(raw) > MaxRequestSize {
		return nil, fmt.Errorf("revocation: request: %w: %d bytes", trust.ErrMalformed, len(raw))
	}
	r := bundle.NewReader(raw)
	if m := r.Fixed(4); r.Err() == nil && string(m) != reqMagic {
		r.Fail("not a revoke request")
	}
	if f := r.U8(); r.Err() == nil && f != 1 {
		r.Fail("request format %d", f)
	}
	q := &Request{ID: trust.DeviceID(r.Name("device ID")), Reason: r.Name("reason"), Signed: time.Unix(r.I64(), 0).UTC()}
	signedLen := len(raw) - r.Remaining()
	q.sig = r.Bytes8(140)
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("revocation: request: %w", err)
	}
	q.signed = raw[:signedLen]
	return q, nil
}

// Verify checks the request's signature with the device's public key (from
// the certificate the exchange holds for q.ID).
func (q *Request) Verify(pub crypto.PublicKey) error {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok || !ecdsa.VerifyASN1(k, reqDigest(q.signed), q.sig) {
		return fmt.Errorf("revocation: request from %s: %w", q.ID, trust.ErrBadSignature)
	}
	return nil
}
