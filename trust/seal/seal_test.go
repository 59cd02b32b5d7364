package seal

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealOpenRoundTrip(t *testing.T) {
	secret := []byte("pkcs8 bytes")
	blob, err := Seal([]byte("correct horse"), secret, Test)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, secret) {
		t.Fatal("blob contains the plaintext")
	}
	got, err := Open([]byte("correct horse"), blob)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if p, err := Header(blob); err != nil || p != Test {
		t.Fatalf("Header = %+v, %v; want %+v", p, err, Test)
	}
}

func TestOpenWrongPassphrase(t *testing.T) {
	blob, _ := Seal([]byte("right"), []byte("x"), Test)
	if _, err := Open([]byte("wrong"), blob); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("err = %v, want ErrWrongPassphrase", err)
	}
}

func TestOpenTamperedEveryByte(t *testing.T) {
	blob, _ := Seal([]byte("pw"), []byte("secret"), Test)
	for i := range blob {
		b := bytes.Clone(blob)
		b[i] ^= 0x01
		if _, err := Open([]byte("pw"), b); err == nil {
			t.Fatalf("flipping byte %d still opened", i)
		}
	}
}

func TestHeaderRejectsHostileParams(t *testing.T) {
	blob, _ := Seal([]byte("pw"), []byte("s"), Test)
	for _, tc := range []struct {
		name string
		off  int
		val  byte
	}{
		{"version", 4, 9},
		{"kdf", 5, 7},
		{"huge memory", 10, 0xff},
		{"zero threads", 14, 0},
	} {
		b := bytes.Clone(blob)
		b[tc.off] = tc.val
		if _, err := Open([]byte("pw"), b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", tc.name, err)
		}
	}
	if _, err := Open(nil, []byte("MHZS")); !errors.Is(err, ErrMalformed) {
		t.Errorf("short: err = %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	blob, _ := Seal([]byte("pw"), []byte("secret"), Test)
	f.Add(blob)
	f.Add([]byte("MHZS\x01\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Keep the fuzzer from asking argon2id for gigabytes.
		if p, err := Header(b); err == nil && (p.MemoryKiB > 1024 || p.Time > 2) {
			return
		}
		pt, err := Open([]byte("pw"), b)
		if err == nil && !bytes.Equal(b, blob) && len(pt) > 0 && string(pt) != "secret" {
			t.Fatalf("a blob not made by Seal opened to %q", pt)
		}
	})
}

func BenchmarkKeyHandset(b *testing.B) {
	salt := make([]byte, saltLen)
	for b.Loop() {
		Handset.Key([]byte("123456"), salt)
	}
}

func BenchmarkKeyWorkstation(b *testing.B) {
	salt := make([]byte, saltLen)
	for b.Loop() {
		Workstation.Key([]byte("passphrase"), salt)
	}
}
