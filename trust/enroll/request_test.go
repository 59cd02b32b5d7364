package enroll

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"

	"mehfooz/trust"
)

func TestRequestRoundTrip(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, err := NewRequest(key, "pk-0001")
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range [][]byte{der, EncodePEM(der)} {
		r, err := ParseRequest(in)
		if err != nil {
			t.Fatal(err)
		}
		if r.ID != "pk-0001" || !r.PublicKey.Equal(&key.PublicKey) {
			t.Fatalf("got %q %v", r.ID, r.PublicKey)
		}
	}
}

func TestRequestRejections(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if _, err := NewRequest(key, "Bad ID"); !errors.Is(err, trust.ErrBadDeviceID) {
		t.Errorf("bad id: %v", err)
	}
	k256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := NewRequest(k256, "pk-0001"); !errors.Is(err, trust.ErrKeyType) {
		t.Errorf("P-256 key: %v", err)
	}
	der, _ := NewRequest(key, "pk-0001")
	tampered := append([]byte(nil), der...)
	tampered[len(tampered)-5] ^= 1 // inside the signature
	if _, err := ParseRequest(tampered); !errors.Is(err, trust.ErrBadSignature) && !errors.Is(err, trust.ErrMalformed) {
		t.Errorf("tampered signature: %v", err)
	}
	if _, err := ParseRequest(make([]byte, MaxRequestSize+1)); !errors.Is(err, trust.ErrMalformed) {
		t.Errorf("oversize: %v", err)
	}
	if _, err := ParseRequest([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")); !errors.Is(err, trust.ErrMalformed) {
		t.Errorf("wrong PEM type: %v", err)
	}
}

func FuzzParseRequest(f *testing.F) {
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := NewRequest(key, "pk-0001")
	f.Add(der)
	f.Add(EncodePEM(der))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseRequest(b)
		if err == nil && (!r.ID.Valid() || r.PublicKey == nil) {
			t.Fatalf("accepted request with ID %q", r.ID)
		}
	})
}
