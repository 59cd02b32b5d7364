package bundle_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"mehfooz/atomicfile"
	"mehfooz/trust"
	"mehfooz/trust/bundle"
	"mehfooz/trust/ca"
	"mehfooz/trust/directory"
	"mehfooz/trust/trusttest"
)

func TestVerifyAcceptsAndBindsFields(t *testing.T) {
	f := trusttest.New(t)
	f.Enroll("pk-0001")
	raw := f.SignDirectory(f.Directory())
	b, err := bundle.Verify(raw, bundle.KindDirectory, f.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	if b.Version != 1 || !b.IssuedAt.Equal(trusttest.Epoch) || b.Signer == nil || !bytes.Equal(b.Raw, raw) {
		t.Fatalf("bundle %+v", b)
	}
}

// TestVerifyRefusesTampering flips bytes of a signed directory: every
// one must be refused (a tampered directory).
func TestVerifyRefusesTampering(t *testing.T) {
	f := trusttest.New(t)
	f.Enroll("pk-0001")
	raw := f.SignDirectory(f.Directory())
	// Every byte of the header and the body; every 7th byte of the
	// certificate and signature, where each flip costs two P-384 checks.
	certAt := bytes.Index(raw, f.PublisherCert.Raw)
	for i := range raw {
		if i >= certAt && i%7 != 0 && i != len(raw)-1 {
			continue
		}
		b := bytes.Clone(raw)
		b[i] ^= 0x04
		if _, err := bundle.Verify(b, bundle.KindDirectory, f.Verifier); err == nil {
			t.Fatalf("flipped byte %d of %d verified", i, len(raw))
		} else if !errors.Is(err, trust.ErrBadSignature) && !errors.Is(err, trust.ErrMalformed) {
			t.Fatalf("byte %d: err %v is neither ErrBadSignature nor ErrMalformed", i, err)
		}
	}
	if _, err := bundle.Verify(append(bytes.Clone(raw), 0), bundle.KindDirectory, f.Verifier); !errors.Is(err, trust.ErrMalformed) {
		t.Fatalf("trailing byte: %v", err)
	}
	if _, err := bundle.Verify(raw[:len(raw)-1], bundle.KindDirectory, f.Verifier); !errors.Is(err, trust.ErrMalformed) {
		t.Fatalf("truncated: %v", err)
	}
}

func TestVerifyRefusesWrongSigner(t *testing.T) {
	f := trusttest.New(t)
	dev := f.Enroll("pk-0001")
	d := f.Directory()
	// A handset's own key and certificate are no publisher.
	raw, err := directory.Sign(d, dev.Key, dev.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bundle.Verify(raw, bundle.KindDirectory, f.Verifier); !errors.Is(err, trust.ErrBadSignature) || !errors.Is(err, trust.ErrWrongEKU) {
		t.Fatalf("device-signed: %v", err)
	}
	// A publisher of another CA.
	other := trusttest.New(t)
	if _, err := bundle.Verify(other.SignDirectory(d), bundle.KindDirectory, f.Verifier); !errors.Is(err, trust.ErrWrongCA) {
		t.Fatalf("other CA: %v", err)
	}
	// A publisher certificate that had expired when the bundle was issued.
	f.Clock.Advance(ca.ServiceValidity + time.Hour)
	d.IssuedAt = f.Clock.Now()
	if _, err := bundle.Verify(f.SignDirectory(d), bundle.KindDirectory, f.Verifier); !errors.Is(err, trust.ErrExpired) {
		t.Fatalf("expired publisher: %v", err)
	}
}

func TestVerifyRefusesWrongKind(t *testing.T) {
	f := trusttest.New(t)
	raw := f.SignRevocations(f.Revocations())
	if _, err := bundle.Verify(raw, bundle.KindDirectory, f.Verifier); !errors.Is(err, trust.ErrMalformed) {
		t.Fatalf("revocation list as directory: %v", err)
	}
}

func newHolder(t *testing.T, f *trusttest.Fleet, path string) *directory.Holder {
	t.Helper()
	h, err := directory.NewHolder(f.Verifier, atomicfile.File{Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHolderRefusesRollbackAndKeepsNewest(t *testing.T) {
	f := trusttest.New(t)
	f.Enroll("pk-0001")
	v1 := f.SignDirectory(f.Directory())
	f.Enroll("pk-0002")
	v2 := f.SignDirectory(f.Directory())
	path := filepath.Join(t.TempDir(), "directory")
	h := newHolder(t, f, path)
	if d, b := h.Current(); d != nil || b != nil {
		t.Fatal("empty holder holds something")
	}
	changed := h.Changed()
	if ok, err := h.Offer(v2); !ok || err != nil {
		t.Fatalf("Offer v2 = %v, %v", ok, err)
	}
	select {
	case <-changed:
	default:
		t.Fatal("Changed not closed by a newer bundle")
	}
	if ok, err := h.Offer(v2); ok || err != nil {
		t.Fatalf("same bundle again = %v, %v; want false, nil", ok, err)
	}
	if ok, err := h.Offer(v1); ok || !errors.Is(err, trust.ErrRollback) {
		t.Fatalf("Offer v1 after v2 = %v, %v; want ErrRollback", ok, err)
	}
	// Same version, different content: also a rollback.
	d := f.Directory()
	d.Version = 2
	d.Entries = d.Entries[:1]
	if _, err := h.Offer(f.SignDirectory(d)); !errors.Is(err, trust.ErrRollback) {
		t.Fatalf("equal version, other content: %v", err)
	}
	tampered := bytes.Clone(v2)
	tampered[40] ^= 1
	if _, err := h.Offer(tampered); err == nil {
		t.Fatal("tampered bundle accepted")
	}
	if cur, _ := h.Current(); cur.Version != 2 || len(cur.Entries) != 2 {
		t.Fatalf("held version %d with %d entries, want 2 and 2", cur.Version, len(cur.Entries))
	}
	// A restart finds version 2 and still refuses version 1.
	h2 := newHolder(t, f, path)
	if cur, _ := h2.Current(); cur == nil || cur.Version != 2 {
		t.Fatalf("after restart: %+v", cur)
	}
	if _, err := h2.Offer(v1); !errors.Is(err, trust.ErrRollback) {
		t.Fatalf("rollback after restart: %v", err)
	}
}

func TestHolderRefusesCorruptStore(t *testing.T) {
	f := trusttest.New(t)
	path := filepath.Join(t.TempDir(), "directory")
	atomicfile.WriteFile(path, []byte("MHZB garbage"), 0o600)
	if _, err := directory.NewHolder(f.Verifier, atomicfile.File{Path: path}, nil); !errors.Is(err, trust.ErrMalformed) {
		t.Fatalf("corrupt store: %v", err)
	}
}

type failStore struct{}

func (failStore) Load() ([]byte, error) { return nil, nil }
func (failStore) Save([]byte) error     { return errors.New("disk full") }

func TestHolderKeepsOldWhenPersistFails(t *testing.T) {
	f := trusttest.New(t)
	h, _ := directory.NewHolder(f.Verifier, failStore{}, nil)
	if ok, err := h.Offer(f.SignDirectory(f.Directory())); ok || err == nil {
		t.Fatalf("Offer with a failing store = %v, %v", ok, err)
	}
	if d, _ := h.Current(); d != nil {
		t.Fatal("a bundle that was not persisted became current")
	}
}

func FuzzVerify(f *testing.F) {
	fl := trusttest.New(f)
	fl.Enroll("pk-0001")
	f.Add(fl.SignDirectory(fl.Directory()))
	f.Add(fl.SignRevocations(fl.Revocations("pk-0009")))
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, k := range []bundle.Kind{bundle.KindDirectory, bundle.KindRevocation} {
			b, err := bundle.Verify(raw, k, fl.Verifier)
			if err == nil && (b.Kind != k || !bytes.Equal(b.Raw, raw)) {
				t.Fatalf("verified bundle %+v does not match input", b)
			}
		}
	})
}

func BenchmarkVerifyDirectory(b *testing.B) {
	f := trusttest.New(b)
	for i := range 100 {
		f.Enroll(trust.DeviceID("pk-" + string(rune('a'+i/26)) + string(rune('a'+i%26))))
	}
	raw := f.SignDirectory(f.Directory())
	for b.Loop() {
		if _, err := directory.Verify(raw, f.Verifier); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(raw)), "bundle-bytes")
}
