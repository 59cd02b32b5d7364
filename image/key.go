package image

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
)

// KeyID names a public key in a signature: the first 8 bytes of the
// SHA-256 of its 32 raw bytes. It only picks which key to try; the
// signature itself is what is verified.
func KeyID(pub ed25519.PublicKey) [8]byte {
	s := sha256.Sum256(pub)
	var id [8]byte
	copy(id[:], s[:8])
	return id
}

// GenerateKey makes a new image signing key from rand (crypto/rand.Reader).
func GenerateKey(rand io.Reader) (ed25519.PrivateKey, error) {
	_, priv, err := ed25519.GenerateKey(rand)
	if err != nil {
		return nil, fmt.Errorf("image: generate key: %w", err)
	}
	return priv, nil
}

// MarshalPrivateKey encodes a signing key as a PKCS #8 PEM block.
func MarshalPrivateKey(k ed25519.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("image: encode key: %w", err)
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	clear(der)
	return b, nil
}

// ParsePrivateKey decodes a PKCS #8 PEM Ed25519 key. The caller clears the
// returned key when done.
func ParsePrivateKey(b []byte) (ed25519.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, errors.New("image: signing key: no PRIVATE KEY PEM block")
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	clear(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("image: signing key: %w", err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("image: signing key is a %T, want Ed25519", k)
	}
	return ek, nil
}

// MarshalPublicKeys encodes keys as consecutive PKIX "PUBLIC KEY" PEM blocks.
func MarshalPublicKeys(keys ...ed25519.PublicKey) ([]byte, error) {
	var out []byte
	for _, k := range keys {
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return nil, fmt.Errorf("image: encode public key: %w", err)
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})...)
	}
	return out, nil
}

// ParsePublicKeys decodes every PUBLIC KEY block in b; there must be at
// least one and all must be Ed25519.
func ParsePublicKeys(b []byte) ([]ed25519.PublicKey, error) {
	var keys []ed25519.PublicKey
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("image: public keys: unexpected %q PEM block", blk.Type)
		}
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("image: public keys: %w", err)
		}
		ek, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("image: public key is a %T, want Ed25519", k)
		}
		keys = append(keys, ek)
	}
	if len(keys) == 0 {
		return nil, errors.New("image: public keys: no PUBLIC KEY PEM block")
	}
	return keys, nil
}
