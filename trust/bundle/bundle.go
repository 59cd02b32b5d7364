// Package bundle is the signed, versioned container in which the directory
// and the revocation list travel from the publisher to every handset, and
// the Holder that keeps the newest verified one on disk.
//
// Format, version 1 (integers big-endian):
//
//	magic    "MHZB"                         4
//	format   0x01                           1
//	kind     0x01 directory, 0x02 revocation 1
//	version  uint64, strictly increasing    8
//	issued   int64 Unix seconds             8
//	body     uint32 length + bytes          ≤ MaxBody
//	signer   uint16 length + DER certificate ≤ 8 KiB (role publisher)
//	sig      uint8 length + ASN.1 ECDSA P-384/SHA-384 signature
//
// The signature covers the context string "mehfooz bundle v1" and a zero
// byte, then every byte before the sig field, so the kind, version, time,
// body and signer are all bound, and a signature over some other message of
// ours can never be replayed as a bundle.
package bundle

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"fmt"
	"time"

	"mehfooz/trust"
)

// Kind says what a bundle's body is.
type Kind uint8

const (
	KindDirectory  Kind = 1
	KindRevocation Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindDirectory:
		return "directory"
	case KindRevocation:
		return "revocation"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

const (
	magic   = "MHZB"
	format  = 1
	context = "mehfooz bundle v1\x00"
	// MaxBody caps a body: about 10,000 directory entries.
	MaxBody = 4 << 20
	// MaxSize caps a whole encoded bundle.
	MaxSize = MaxBody + 4 + 1 + 1 + 8 + 8 + 4 + 2 + trust.MaxCertificateSize + 1 + 255
	maxSig  = 140 // an ASN.1 P-521 signature is 139 bytes; P-384 at most 104
)

// Bundle is a decoded bundle whose signature and signer have been verified.
type Bundle struct {
	Kind     Kind
	Version  uint64
	IssuedAt time.Time
	Body     []byte
	Signer   *x509.Certificate
	Raw      []byte // the exact bytes that verified
}

// Sign encodes and signs a bundle. signer is the publisher key and cert its
// certificate from the enrollment CA.
func Sign(kind Kind, version uint64, issued time.Time, body []byte, signer crypto.Signer, cert *x509.Certificate) ([]byte, error) {
	if len(body) > MaxBody {
		return nil, fmt.Errorf("bundle: sign %s: body of %d bytes exceeds %d", kind, len(body), MaxBody)
	}
	if k, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !k.Equal(signer.Public()) {
		return nil, fmt.Errorf("bundle: sign %s: key does not match the publisher certificate", kind)
	}
	w := &Writer{}
	w.Raw([]byte(magic))
	w.U8(format)
	w.U8(uint8(kind))
	w.U64(version)
	w.I64(issued.Unix())
	w.U32(uint32(len(body)))
	w.Raw(body)
	w.Bytes16(cert.Raw)
	sig, err := signer.Sign(rand.Reader, digest(w.B), crypto.SHA384)
	if err != nil {
		return nil, fmt.Errorf("bundle: sign %s: %w", kind, err)
	}
	w.Bytes8(sig)
	return w.B, nil
}

func digest(signed []byte) []byte {
	h := sha512.New384()
	h.Write([]byte(context))
	h.Write(signed)
	return h.Sum(nil)
}

// Verify decodes raw, checks that it is of kind want, that its signer holds
// a publisher certificate from the CA that was valid when the bundle was
// issued, and that the signature verifies.
func Verify(raw []byte, want Kind, v *trust.Verifier) (*Bundle, error) {
	if len(raw) > MaxSize {
		return nil, fmt.Errorf("bundle: %w: %d bytes", trust.ErrMalformed, len(raw))
	}
	r := NewReader(raw)
	if m := r.Fixed(4); r.Err() == nil && string(m) != magic {
		r.Fail("not a bundle")
	}
	if f := r.U8(); r.Err() == nil && f != format {
		r.Fail("bundle format %d", f)
	}
	b := &Bundle{Kind: Kind(r.U8()), Version: r.U64(), IssuedAt: time.Unix(r.I64(), 0).UTC()}
	n := r.U32()
	if r.Err() == nil && n > MaxBody {
		r.Fail("body of %d bytes exceeds %d", n, MaxBody)
	}
	b.Body = r.Fixed(int(n))
	certDER := r.Bytes16(trust.MaxCertificateSize)
	signed := raw[:len(raw)-len(r.b)]
	sig := r.Bytes8(maxSig)
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if b.Kind != want {
		return nil, fmt.Errorf("bundle: %w: a %s bundle where a %s was expected", trust.ErrMalformed, b.Kind, want)
	}
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		return nil, fmt.Errorf("bundle: %s signer: %w: %v", b.Kind, trust.ErrBadSignature, err)
	}
	if err := v.Verify(cert, trust.RolePublisher, b.IssuedAt); err != nil {
		return nil, fmt.Errorf("bundle: %s signer: %w: %w", b.Kind, trust.ErrBadSignature, err)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !ecdsa.VerifyASN1(pub, digest(signed), sig) {
		return nil, fmt.Errorf("bundle: %s version %d: %w", b.Kind, b.Version, trust.ErrBadSignature)
	}
	b.Signer = cert
	b.Raw = bytes.Clone(raw)
	b.Body = b.Raw[len(signed)-len(certDER)-2-len(b.Body) : len(signed)-len(certDER)-2]
	return b, nil
}
