// Package enroll is the handset's side of enrollment: a certificate request
// (PKCS#10, RFC 2986) signed by the device key that never leaves the
// keystore, carrying the device ID as its subject CN. The same request,
// signed by the same key, renews a certificate before it expires.
package enroll

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"

	"mehfooz/trust"
)

// MaxRequestSize caps an encoded request; ours are about 400 bytes.
const MaxRequestSize = 8 << 10

const pemType = "CERTIFICATE REQUEST"

// Request is a parsed, self-signature-checked certificate request.
type Request struct {
	ID        trust.DeviceID
	PublicKey *ecdsa.PublicKey
	CSR       *x509.CertificateRequest
}

// NewRequest makes a DER request for id, signed by signer (an ECDSA P-384
// key, normally the keystore's device key).
func NewRequest(signer crypto.Signer, id trust.DeviceID) ([]byte, error) {
	if !id.Valid() {
		return nil, fmt.Errorf("enroll: new request: %w: %q", trust.ErrBadDeviceID, id)
	}
	if k, ok := signer.Public().(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P384() {
		return nil, fmt.Errorf("enroll: new request: %w", trust.ErrKeyType)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:            pkix.Name{CommonName: string(id), OrganizationalUnit: []string{string(trust.RoleDevice)}},
		SignatureAlgorithm: x509.ECDSAWithSHA384,
	}, signer)
	if err != nil {
		return nil, fmt.Errorf("enroll: new request: %w", err)
	}
	return der, nil
}

// EncodePEM wraps a DER request in PEM for files and copy-paste.
func EncodePEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: pemType, Bytes: der})
}

// ParseRequest accepts a request as DER or PEM and checks everything a CA
// must before signing: size, structure, self-signature (proof that the
// requester holds the key), key type and device-ID form.
func ParseRequest(b []byte) (*Request, error) {
	if len(b) > MaxRequestSize {
		return nil, fmt.Errorf("enroll: request: %w: %d bytes", trust.ErrMalformed, len(b))
	}
	if blk, rest := pem.Decode(b); blk != nil {
		if blk.Type != pemType || len(blk.Headers) != 0 || len(trimSpace(rest)) != 0 {
			return nil, fmt.Errorf("enroll: request: %w: PEM block %q", trust.ErrMalformed, blk.Type)
		}
		b = blk.Bytes
	}
	csr, err := x509.ParseCertificateRequest(b)
	if err != nil {
		return nil, fmt.Errorf("enroll: request: %w: %v", trust.ErrMalformed, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("enroll: request: %w: %v", trust.ErrBadSignature, err)
	}
	pub, ok := csr.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P384() {
		return nil, fmt.Errorf("enroll: request: %w", trust.ErrKeyType)
	}
	id, err := trust.ParseDeviceID(csr.Subject.CommonName)
	if err != nil {
		return nil, fmt.Errorf("enroll: request: %w", err)
	}
	return &Request{ID: id, PublicKey: pub, CSR: csr}, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == '\n' || b[0] == '\r' || b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}
