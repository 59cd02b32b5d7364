package image

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// testKey is deterministic so tests and golden bytes are stable.
func testKey(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func sampleManifest() Manifest {
	return Manifest{Board: "qemu-x86_64", Arch: "amd64", Version: 7, Label: "2026.11-pilot", Kernel: "6.1.0-56-amd64"}
}

var sampleContents = Contents{
	Kernel:    bytes.Repeat([]byte("K"), 5000),
	Initramfs: bytes.Repeat([]byte("I"), 9000),
	Cmdline:   []byte("console=ttyS0 quiet -- --board qemu-x86_64"),
}

func build(t testing.TB, keys ...ed25519.PrivateKey) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, sampleManifest(), sampleContents, keys...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func verify(b []byte, keys ...ed25519.PublicKey) (*Manifest, error) {
	return Verify(bytes.NewReader(b), int64(len(b)), keys)
}

func pub(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

func TestWriteVerifyRoundTrip(t *testing.T) {
	b := build(t, testKey(1))
	m, err := verify(b, pub(testKey(9)), pub(testKey(1)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Board != "qemu-x86_64" || m.Version != 7 || len(m.Parts) != 3 || m.Size() != int64(len(b)) {
		t.Fatalf("manifest = %+v (file %d bytes)", m, len(b))
	}
	for name, want := range map[string][]byte{PartKernel: sampleContents.Kernel, PartInitramfs: sampleContents.Initramfs, PartCmdline: sampleContents.Cmdline} {
		got, err := ReadPart(bytes.NewReader(b), m, name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("ReadPart(%s) = %d bytes, %v", name, len(got), err)
		}
		if p, _ := m.Part(name); p.Offset%4096 != 0 {
			t.Errorf("%s at unaligned offset %d", name, p.Offset)
		}
	}
	if !bytes.Equal(b, build(t, testKey(1))) {
		t.Fatal("same inputs gave different image bytes")
	}
}

func TestVerifyRejects(t *testing.T) {
	good := build(t, testKey(1))
	trusted := pub(testKey(1))
	m, _ := verify(good, trusted)
	kernel, _ := m.Part(PartKernel)
	initrd, _ := m.Part(PartInitramfs)

	flip := func(off int64) []byte { b := bytes.Clone(good); b[off] ^= 0x01; return b }
	unsigned := bytes.Clone(good)
	binary.BigEndian.PutUint32(unsigned[16:], 0)
	edited := bytes.Clone(good)
	i := bytes.Index(edited, []byte(`"version": 7`))
	copy(edited[i:], `"version": 9`) // a newer version, without re-signing

	for name, c := range map[string]struct {
		b    []byte
		keys []ed25519.PublicKey
		want error
	}{
		"wrong key":       {good, []ed25519.PublicKey{pub(testKey(2))}, ErrBadSignature},
		"no trusted keys": {good, nil, ErrBadSignature},
		"unsigned":        {unsigned, []ed25519.PublicKey{trusted}, ErrUnsigned},
		"edited manifest": {edited, []ed25519.PublicKey{trusted}, ErrBadSignature},
		"kernel byte":     {flip(kernel.Offset + 100), []ed25519.PublicKey{trusted}, ErrTampered},
		"initramfs last":  {flip(initrd.Offset + initrd.Size - 1), []ed25519.PublicKey{trusted}, ErrTampered},
		"padding":         {flip(kernel.Offset + kernel.Size + 1), []ed25519.PublicKey{trusted}, ErrTampered},
		"header padding":  {flip(headerSize - 1), []ed25519.PublicKey{trusted}, ErrFormat},
		"signature":       {flip(int64(24 + binary.BigEndian.Uint32(good[12:]) + 20)), []ed25519.PublicKey{trusted}, ErrBadSignature},
		"appended":        {append(bytes.Clone(good), 0), []ed25519.PublicKey{trusted}, ErrTampered},
		"truncated":       {good[:len(good)-1], []ed25519.PublicKey{trusted}, ErrTampered},
		"short header":    {good[:1000], []ed25519.PublicKey{trusted}, ErrFormat},
		"not an image":    {bytes.Repeat([]byte{0x7f}, headerSize), []ed25519.PublicKey{trusted}, ErrFormat},
	} {
		if _, err := verify(c.b, c.keys...); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", name, err, c.want)
		}
	}
}

// TestEveryByteMatters flips bytes all over an image: none may verify.
func TestEveryByteMatters(t *testing.T) {
	good := build(t, testKey(1))
	trusted := pub(testKey(1))
	for off := 0; off < len(good); off += 97 {
		b := bytes.Clone(good)
		b[off] ^= 0x80
		if _, err := verify(b, trusted); err == nil {
			t.Fatalf("flipping byte %d of %d went unnoticed", off, len(good))
		}
	}
}

func TestSeveralSignaturesAllowKeyRotation(t *testing.T) {
	b := build(t, testKey(1), testKey(2))
	for _, k := range []ed25519.PrivateKey{testKey(1), testKey(2)} {
		if _, err := verify(b, pub(k)); err != nil {
			t.Errorf("key %x: %v", KeyID(pub(k)), err)
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, sampleManifest(), sampleContents); !errors.Is(err, ErrUnsigned) {
		t.Errorf("Write without a key = %v, want ErrUnsigned", err)
	}
}

func TestManifestValidation(t *testing.T) {
	for name, edit := range map[string]func(m *Manifest){
		"version 0": func(m *Manifest) { m.Version = 0 },
		"board":     func(m *Manifest) { m.Board = "Qemu x86" },
		"label":     func(m *Manifest) { m.Label = "tab\there" },
		"arch":      func(m *Manifest) { m.Arch = "" },
	} {
		m := sampleManifest()
		edit(&m)
		if err := Write(&bytes.Buffer{}, m, sampleContents, testKey(1)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
	if err := Write(&bytes.Buffer{}, sampleManifest(), Contents{Kernel: []byte("k"), Initramfs: []byte("i")}, testKey(1)); !errors.Is(err, ErrFormat) {
		t.Errorf("empty cmdline: err = %v, want ErrFormat", err)
	}
	good, _ := verify(build(t, testKey(1)), pub(testKey(1)))
	enc, _ := good.Encode()
	for name, b := range map[string]string{
		"unknown field": strings.Replace(string(enc), `"format": 1,`, `"format": 1, "debug": true,`, 1),
		"trailing":      string(enc) + "{}",
		"overlap":       strings.Replace(string(enc), `"offset": 73728`, `"offset": 65536`, 1),
		"extra part":    strings.Replace(string(enc), `"name": "cmdline"`, `"name": "rootfs"`, 1),
		"format 2":      strings.Replace(string(enc), `"format": 1`, `"format": 2`, 1),
		"hash case":     strings.Replace(string(enc), good.Parts[0].SHA256, strings.ToUpper(good.Parts[0].SHA256), 1),
	} {
		if b == string(enc) {
			t.Fatalf("%s: edit did not apply", name)
		}
		if _, err := DecodeManifest([]byte(b)); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
}

func TestKeyPEMRoundTrip(t *testing.T) {
	k := testKey(3)
	pemb, err := MarshalPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePrivateKey(pemb)
	if err != nil || !back.Equal(k) {
		t.Fatalf("private key round trip: %v", err)
	}
	pubs, err := MarshalPublicKeys(pub(testKey(1)), pub(testKey(2)))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := ParsePublicKeys(pubs)
	if err != nil || len(keys) != 2 || !keys[1].Equal(pub(testKey(2))) {
		t.Fatalf("public keys round trip: %v %v", keys, err)
	}
	if _, err := ParsePublicKeys(pemb); err == nil {
		t.Error("a private key parsed as public keys")
	}
	if _, err := ParsePrivateKey(pubs); err == nil {
		t.Error("public keys parsed as a private key")
	}
}

func FuzzDecodeManifest(f *testing.F) {
	m, _ := DecodeManifest(mustHeader(f).Manifest)
	enc, _ := m.Encode()
	f.Add(enc)
	f.Add([]byte(`{"format":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeManifest(b)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error not wrapping ErrFormat: %v", err)
			}
			return
		}
		enc, err := m.Encode()
		if err != nil {
			t.Fatalf("accepted manifest does not encode: %v", err)
		}
		if _, err := DecodeManifest(enc); err != nil {
			t.Fatalf("re-encoded manifest rejected: %v", err)
		}
	})
}

func FuzzParseHeader(f *testing.F) {
	// Seed with the used part of a real header; the rest is zero.
	hdr := build(f, testKey(1))[:headerSize]
	used := 24 + int(binary.BigEndian.Uint32(hdr[12:])) + sigLen
	f.Add(hdr[:used])
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 24+maxManifest+maxSignatures*sigLen {
			return // the rest of a header must be zero anyway; long inputs only slow minimizing
		}
		hdr := make([]byte, headerSize)
		copy(hdr, b)
		h, err := parseHeader(hdr)
		if err != nil {
			return
		}
		// Only the real key's signature may verify.
		if m, err := h.Verify([]ed25519.PublicKey{pub(testKey(1))}); err == nil && m == nil {
			t.Fatal("verified without a manifest")
		}
	})
}

func mustHeader(t testing.TB) *Header {
	h, err := ReadHeader(bytes.NewReader(build(t, testKey(1))))
	if err != nil {
		t.Fatal(err)
	}
	return h
}
