package pin_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"mehfooz/atomicfile"
	"mehfooz/trust"
	"mehfooz/trust/ca"
	"mehfooz/trust/enroll"
	"mehfooz/trust/pin"
	"mehfooz/trust/trusttest"
)

func TestPinLifecycle(t *testing.T) {
	f := trusttest.New(t)
	b := f.Enroll("pk-0002")
	dir1 := f.Directory()
	path := filepath.Join(t.TempDir(), "pins")
	s, err := pin.Open(atomicfile.File{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	now := f.Clock.Now()
	if c, err := s.Check(b.ID, b.Cert, dir1, now); c != pin.First || err != nil {
		t.Fatalf("first = %v, %v", c, err)
	}
	if c, err := s.Check(b.ID, b.Cert, dir1, now); c != pin.Same || err != nil {
		t.Fatalf("again = %v, %v", c, err)
	}
	// Renewal: same key, new certificate.
	der, _ := enroll.NewRequest(b.Key, b.ID)
	req, _ := enroll.ParseRequest(der)
	renewed, err := f.CA.Renew(b.Cert, req, 0)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s.Check(b.ID, renewed, dir1, now); c != pin.Renewed || err != nil {
		t.Fatalf("renewed = %v, %v", c, err)
	}

	// A new key for pk-0002 that no newer directory lists: the alarm.
	k2, _ := ca.NewKey()
	der, _ = enroll.NewRequest(k2, b.ID)
	req, _ = enroll.ParseRequest(der)
	rogue, _ := f.CA.IssueDevice(req, 0)
	_, err = s.Check(b.ID, rogue, dir1, now)
	var mm *pin.MismatchError
	if !errors.As(err, &mm) || !errors.Is(err, trust.ErrPinMismatch) || mm.ID != b.ID {
		t.Fatalf("rekey without directory: %v", err)
	}
	// The alarm persists across a restart: the pin did not move.
	s2, _ := pin.Open(atomicfile.File{Path: path})
	if _, err := s2.Check(b.ID, rogue, dir1, now); !errors.Is(err, trust.ErrPinMismatch) {
		t.Fatalf("after restart: %v", err)
	}
	// A newer directory that lists a different certificate does not help.
	dir2 := f.Directory()
	if _, err := s2.Check(b.ID, rogue, dir2, now); !errors.Is(err, trust.ErrPinMismatch) {
		t.Fatalf("newer directory listing another cert: %v", err)
	}
	// A newer directory that lists exactly this certificate: re-enrolled.
	f.Devices[b.ID].Cert = rogue
	dir3 := f.Directory()
	if c, err := s2.Check(b.ID, rogue, dir3, now); c != pin.Rekeyed || err != nil {
		t.Fatalf("re-enrolled = %v, %v", c, err)
	}
	if err := s2.Forget(b.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := s2.Get(b.ID); ok {
		t.Fatal("Forget left the pin")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(pin.Encode([]pin.Record{{ID: "pk-0001"}, {ID: "pk-0002", DirVersion: 3}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, err := pin.Decode(b)
		if err != nil {
			return
		}
		if again := pin.Encode(recs); !bytes.Equal(again, b) {
			t.Fatal("non-canonical pin file accepted")
		}
	})
}
