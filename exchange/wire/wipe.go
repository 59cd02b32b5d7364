package wire

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
)

// OrderID names one wipe order.
type OrderID [16]byte

func (o OrderID) String() string { return hex.EncodeToString(o[:]) }

// NewOrderID returns a random order ID.
func NewOrderID() OrderID {
	var o OrderID
	rand.Read(o[:])
	return o
}

// WipeOrder is a technician's instruction to wipe one handset, signed with
// the key of the technician's certificate from the enrollment CA. The
// exchange stores and forwards it but cannot forge one, so a compromised
// exchange cannot wipe the fleet; the handset checks the signature and that
// the certificate is a technician's before it acts.
type WipeOrder struct {
	ID     OrderID
	Device string
	// Issued is when the technician signed it, Unix seconds.
	Issued int64
	// Technician is the signer's certificate, DER.
	Technician []byte
	// Signature is ECDSA P-384 with SHA-384 (ASN.1) over the order without
	// this field, prefixed with wipeDomain.
	Signature []byte
}

// Errors of wipe orders.
var (
	ErrWipeSignature = errors.New("wire: wipe order signature invalid")
	ErrWipeKey       = errors.New("wire: wipe order signer is not an ECDSA P-384 key")
)

const (
	wipeVersion = 1
	// wipeDomain separates this signature from every other use of a
	// technician key.
	wipeDomain   = "mehfooz wipe order v1\x00"
	maxCert      = 6 << 10
	maxSignature = 256
)

func (o *WipeOrder) tbs(e *encoder) {
	e.u8(wipeVersion)
	e.fixed(o.ID[:])
	e.str(o.Device)
	e.i64(o.Issued)
	e.bytes16(o.Technician)
}

// Marshal encodes the order. It refuses an order that ParseWipeOrder would
// refuse.
func (o *WipeOrder) Marshal() ([]byte, error) {
	e := encoder{}
	o.tbs(&e)
	e.bytes16(o.Signature)
	if _, err := ParseWipeOrder(e.b); err != nil {
		return nil, err
	}
	return e.b, nil
}

// ParseWipeOrder decodes an order strictly. It checks the form only; call
// Verify for the signature.
func ParseWipeOrder(b []byte) (*WipeOrder, error) {
	if len(b) > MaxWipeOrder {
		return nil, fmt.Errorf("wire: wipe order: %w: %d bytes", ErrTooLarge, len(b))
	}
	d := decoder{b: b}
	o := &WipeOrder{}
	if v := d.u8("version"); d.err == nil && v != wipeVersion {
		return nil, fmt.Errorf("wire: wipe order: %w: %d", ErrVersion, v)
	}
	copy(o.ID[:], d.take(len(o.ID), "order ID"))
	if d.err == nil && o.ID == (OrderID{}) {
		d.fail("zero order ID")
	}
	o.Device = d.id("device")
	o.Issued = d.i64("issued")
	o.Technician = clone(d.bytes16("technician certificate", maxCert))
	o.Signature = clone(d.bytes16("signature", maxSignature))
	if d.err == nil && (len(o.Technician) == 0 || len(o.Signature) == 0) {
		d.fail("missing certificate or signature")
	}
	if err := d.end(); err != nil {
		return nil, fmt.Errorf("wire: wipe order: %w", err)
	}
	return o, nil
}

func clone(p []byte) []byte {
	if p == nil {
		return nil
	}
	return append([]byte(nil), p...)
}

func (o *WipeOrder) digest() []byte {
	e := encoder{b: []byte(wipeDomain)}
	o.tbs(&e)
	h := sha512.Sum384(e.b)
	return h[:]
}

// Sign signs the order with the technician's key, whose certificate is
// o.Technician. The key may live in a token: only crypto.Signer is used.
func (o *WipeOrder) Sign(key crypto.Signer) error {
	pub, ok := key.Public().(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P384() {
		return ErrWipeKey
	}
	sig, err := key.Sign(rand.Reader, o.digest(), crypto.SHA384)
	if err != nil {
		return fmt.Errorf("wire: sign wipe order: %w", err)
	}
	o.Signature = sig
	return nil
}

// Verify checks the signature against the key of o.Technician and returns
// that certificate. It does not judge the certificate: the caller checks it
// chains to the enrollment CA and belongs to a technician.
func (o *WipeOrder) Verify() (*x509.Certificate, error) {
	cert, err := x509.ParseCertificate(o.Technician)
	if err != nil {
		return nil, fmt.Errorf("wire: wipe order certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P384() {
		return nil, ErrWipeKey
	}
	if !ecdsa.VerifyASN1(pub, o.digest(), o.Signature) {
		return nil, ErrWipeSignature
	}
	return cert, nil
}
