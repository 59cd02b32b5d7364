package setup

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"fmt"
)

// signLabel separates these signatures from anything else the device key signs.
const signLabel = "mehfooz/v1 call setup\x00"

// Identity is this handset as the call sees it: its device ID, its enrolled
// certificate and the key behind it, which need only sign (a keystore or a
// secure element can hold it).
type Identity struct {
	DeviceID string
	Cert     *x509.Certificate
	Key      crypto.Signer
}

// Fingerprint is the SHA-256 of a certificate's DER, as in an SDP
// a=fingerprint line and in the directory.
func Fingerprint(cert *x509.Certificate) [FingerprintLen]byte { return sha256.Sum256(cert.Raw) }

// Sign fills in m's sender fields from id, signs it, and returns the message
// as it goes on the wire together with the digest of its body (the Ref of
// every later message of the call, when m is the invite).
func Sign(m *Message, id Identity) (raw []byte, digest [RefLen]byte, err error) {
	if err := checkKey(id.Cert); err != nil {
		return nil, digest, err
	}
	m.From = id.DeviceID
	m.FromFP = Fingerprint(id.Cert)
	body, err := encodeBody(m)
	if err != nil {
		return nil, digest, fmt.Errorf("setup: sign %s: %w", m.Kind, err)
	}
	sig, err := id.Key.Sign(rand.Reader, signedDigest(body), crypto.SHA384)
	if err != nil {
		return nil, digest, fmt.Errorf("setup: sign %s: %w", m.Kind, err)
	}
	e := envelope{body: body, cert: id.Cert.Raw, sig: sig}
	raw = e.encode()
	if len(raw) > MaxEnvelope {
		return nil, digest, fmt.Errorf("setup: sign %s: %w: %d bytes", m.Kind, ErrMalformed, len(raw))
	}
	return raw, sha512.Sum384(body), nil
}

func signedDigest(body []byte) []byte {
	h := sha512.New384()
	h.Write([]byte(signLabel))
	h.Write(body)
	return h.Sum(nil)
}

// checkKey accepts only ECDSA P-384 device keys (CNSA 1.0).
func checkKey(cert *x509.Certificate) error {
	if cert == nil {
		return fmt.Errorf("%w: none", ErrCertificate)
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P384() {
		return fmt.Errorf("%w: key is %T, want ECDSA P-384", ErrCertificate, cert.PublicKey)
	}
	return nil
}
