package wipe

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/mlkem"
	"crypto/rand"
	"errors"
	"testing"
)

func TestBytes(t *testing.T) {
	a, b := []byte{1, 2, 3}, []byte{4}
	Bytes(a, b, nil)
	if !bytes.Equal(a, []byte{0, 0, 0}) || b[0] != 0 {
		t.Fatalf("got %v %v, want zeros", a, b)
	}
}

func TestOpaqueMLKEM(t *testing.T) {
	dk, err := mlkem.GenerateKey1024()
	if err != nil {
		t.Fatal(err)
	}
	ek := dk.EncapsulationKey()
	if z, err := IsZero(dk); err != nil || z {
		t.Fatalf("fresh key: zero=%v err=%v", z, err)
	}
	if err := Opaque(dk); err != nil {
		t.Fatalf("Opaque: %v", err)
	}
	if z, err := IsZero(dk); err != nil || !z {
		t.Fatalf("after Opaque: zero=%v err=%v", z, err)
	}
	// The seed the key reports is gone too: nothing of d or z is left.
	if seed := dk.Bytes(); !bytes.Equal(seed, make([]byte, len(seed))) {
		t.Fatalf("seed after wipe = %x, want zeros", seed)
	}
	// A ciphertext for the old public key no longer yields its secret.
	secret, ct := ek.Encapsulate()
	got, err := dk.Decapsulate(ct)
	if err == nil && bytes.Equal(got, secret) {
		t.Fatal("wiped key still decapsulates")
	}
}

func TestOpaqueAESGCM(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, aead.NonceSize())
	before := aead.Seal(nil, nonce, []byte("frame"), nil)
	if err := Opaque(aead); err != nil {
		t.Fatalf("Opaque(AEAD %T): %v", aead, err)
	}
	if z, err := IsZero(aead); err != nil || !z {
		t.Fatalf("after Opaque: zero=%v err=%v", z, err)
	}
	// A wiped AEAD has forgotten even its nonce size: any further use fails
	// loudly instead of sealing under the old key.
	func() {
		defer func() { _ = recover() }()
		if after := aead.Seal(nil, nonce, []byte("frame"), nil); bytes.Equal(before, after) {
			t.Fatal("wiped AEAD still seals under the old key")
		}
	}()
}

func TestOpaqueRefusesPointers(t *testing.T) {
	type withSlice struct{ b []byte }
	type twoFields struct {
		p *[4]byte
		n int
	}
	for _, x := range []any{nil, 3, &withSlice{b: []byte{1}}, &twoFields{p: new([4]byte), n: 1}, (*[4]byte)(nil), &struct{}{}} {
		if err := Opaque(x); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Opaque(%T) = %v, want ErrUnsupported", x, err)
		}
	}
	arr := &[4]byte{1, 2, 3, 4}
	if err := Opaque(arr); err != nil || *arr != [4]byte{} {
		t.Fatalf("Opaque(*[4]byte) = %v, %v", err, *arr)
	}
}
