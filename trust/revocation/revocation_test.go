package revocation_test

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
	"mehfooz/trust/revocation"
	"mehfooz/trust/trusttest"
)

func TestListRoundTripAndCheck(t *testing.T) {
	f := trusttest.New(t)
	l := f.Revocations("pk-0009", "pk-0002")
	got, err := revocation.Verify(f.SignRevocations(l), f.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Entries) != 2 || got.Entries[0].ID != "pk-0002" || !got.Expires.Equal(l.Expires) {
		t.Fatalf("list %+v", got)
	}
	now := f.Clock.Now()
	if err := got.Check("pk-0002", now); !errors.Is(err, trust.ErrRevoked) {
		t.Errorf("revoked device: %v", err)
	}
	if err := got.Check("pk-0001", now); err != nil {
		t.Errorf("good device: %v", err)
	}
	if err := got.Check("pk-0001", l.Expires.Add(time.Second)); !errors.Is(err, trust.ErrStaleRevocation) {
		t.Errorf("stale list: %v", err)
	}
	var none *revocation.List
	if err := none.Check("pk-0001", now); !errors.Is(err, trust.ErrNoRevocationList) {
		t.Errorf("no list: %v", err)
	}
}

func TestWithAddsAndBumpsVersion(t *testing.T) {
	var l *revocation.List
	l = l.With(revocation.Entry{ID: "pk-0005", Reason: revocation.ReasonDuress})
	l = l.With(revocation.Entry{ID: "pk-0001", Reason: revocation.ReasonLost})
	l = l.With(revocation.Entry{ID: "pk-0005", Reason: revocation.ReasonRetired})
	if l.Version != 3 || len(l.Entries) != 2 || l.Entries[0].ID != "pk-0001" || l.Entries[1].Reason != revocation.ReasonRetired {
		t.Fatalf("list %+v", l)
	}
}

func TestDecodeRefusesNonCanonical(t *testing.T) {
	l := &revocation.List{Entries: []revocation.Entry{{ID: "pk-0001", Reason: "lost"}, {ID: "pk-0002", Reason: "lost"}}}
	body, _ := l.Encode()
	bad := bytes.Replace(bytes.Clone(body), []byte("pk-0001"), []byte("pk-0003"), 1)
	if _, err := revocation.Decode(bad); !errors.Is(err, trust.ErrMalformed) {
		t.Errorf("unsorted: %v", err)
	}
	l.Entries[1].ID = "pk-0001"
	if _, err := l.Encode(); err == nil {
		t.Error("duplicate encoded")
	}
}

// TestHolderTellsCallLayer is the call layer's pattern: take Changed, check,
// wait; a newer list that revokes the peer wakes it.
func TestHolderTellsCallLayer(t *testing.T) {
	f := trusttest.New(t)
	h, err := revocation.NewHolder(f.Verifier, atomicfile.File{Path: filepath.Join(t.TempDir(), "rev")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Offer(f.SignRevocations(f.Revocations())); err != nil {
		t.Fatal(err)
	}
	wake := h.Changed()
	if l, _ := h.Current(); l.Check("pk-0002", f.Clock.Now()) != nil {
		t.Fatal("peer revoked too early")
	}
	done := make(chan error)
	go func() {
		<-wake
		l, _ := h.Current()
		done <- l.Check("pk-0002", f.Clock.Now())
	}()
	if _, err := h.Offer(f.SignRevocations(f.Revocations("pk-0002"))); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, trust.ErrRevoked) {
		t.Fatalf("after wake: %v, want ErrRevoked", err)
	}
}

func TestRequestSignVerify(t *testing.T) {
	f := trusttest.New(t)
	dev := f.Enroll("pk-0004")
	raw, err := revocation.NewRequest(dev.Key, dev.ID, revocation.ReasonDuress, f.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	q, err := revocation.ParseRequest(raw)
	if err != nil {
		t.Fatal(err)
	}
	if q.ID != "pk-0004" || q.Reason != "duress" || !q.Signed.Equal(f.Clock.Now()) {
		t.Fatalf("request %+v", q)
	}
	if err := q.Verify(dev.Cert.PublicKey); err != nil {
		t.Fatal(err)
	}
	other := f.Enroll("pk-0005")
	if err := q.Verify(other.Cert.PublicKey); !errors.Is(err, trust.ErrBadSignature) {
		t.Errorf("other device's key: %v", err)
	}
	for i := range raw {
		b := bytes.Clone(raw)
		b[i] ^= 2
		if q, err := revocation.ParseRequest(b); err == nil && q.Verify(dev.Cert.PublicKey) == nil {
			t.Fatalf("flipped byte %d verified", i)
		}
	}
}

func FuzzDecode(f *testing.F) {
	l := &revocation.List{Expires: trusttest.Epoch, Entries: []revocation.Entry{{ID: "pk-0001", Reason: "lost"}}}
	body, _ := l.Encode()
	f.Add(body)
	f.Fuzz(func(t *testing.T, body []byte) {
		l, err := revocation.Decode(body)
		if err != nil {
			return
		}
		again, err := l.Encode()
		if err != nil || !bytes.Equal(again, body) {
			t.Fatalf("non-canonical input accepted: %v", err)
		}
	})
}

func FuzzParseRequest(f *testing.F) {
	fl := trusttest.New(f)
	dev := fl.Enroll("pk-0001")
	raw, _ := revocation.NewRequest(dev.Key, dev.ID, "duress", fl.Clock.Now())
	f.Add(raw)
	f.Fuzz(func(t *testing.T, b []byte) {
		q, err := revocation.ParseRequest(b)
		if err != nil {
			return
		}
		if !q.ID.Valid() || !trust.ValidName(q.Reason) {
			t.Fatalf("accepted %+v", q)
		}
		if q.Verify(dev.Cert.PublicKey) == nil && !bytes.Equal(b, raw) {
			t.Fatal("a different request verified")
		}
	})
}

// TestHolderRefusesBackdatedList: a publisher key whose certificate has
// expired (and may have leaked since) signs a list with a higher version,
// dated back into its certificate's lifetime, that drops a revoked device
// and never expires. The holder must keep the newer list it has.
func TestHolderRefusesBackdatedList(t *testing.T) {
	f := trusttest.New(t)
	oldKey, oldCert := f.PublisherKey, f.PublisherCert // valid one year from Epoch
	f.Clock.Advance(360 * 24 * time.Hour)
	k, _ := ca.NewKey()
	c, err := f.CA.IssuePublisher("test-publisher-2", &k.PublicKey, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.PublisherKey, f.PublisherCert = k, c
	f.Clock.Advance(40 * 24 * time.Hour) // the old certificate has expired
	h, err := revocation.NewHolder(f.Verifier, &bundle.Memory{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	held := f.Revocations("pk-0007")
	if _, err := h.Offer(f.SignRevocations(held)); err != nil {
		t.Fatal(err)
	}
	forged := &revocation.List{Version: held.Version + 1, IssuedAt: trusttest.Epoch.Add(100 * 24 * time.Hour),
		Expires: trusttest.Epoch.Add(20 * 365 * 24 * time.Hour)}
	raw, err := revocation.Sign(forged, oldKey, oldCert)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Offer(raw); !errors.Is(err, trust.ErrRollback) {
		t.Fatalf("backdated list from an expired publisher: %v, want ErrRollback", err)
	}
	if l, _ := h.Current(); l.Version != held.Version || l.Check("pk-0007", f.Clock.Now()) == nil {
		t.Fatalf("held list is now version %d; pk-0007 revoked: %v", l.Version, l.Check("pk-0007", f.Clock.Now()))
	}
	// Another signer whose clock runs a few minutes behind is not a forger.
	behind := f.Revocations("pk-0007", "pk-0008")
	behind.IssuedAt = held.IssuedAt.Add(-bundle.IssueSkew + time.Minute)
	if _, err := h.Offer(f.SignRevocations(behind)); err != nil {
		t.Fatalf("list from a signer %v behind: %v", held.IssuedAt.Sub(behind.IssuedAt), err)
	}
}
