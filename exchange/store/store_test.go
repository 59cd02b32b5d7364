package store

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

var at = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func open(t *testing.T, path string, o Options) *Store {
	t.Helper()
	s, err := Open(path, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestEverythingSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "exchange.db")
	s := open(t, path, Options{})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.PutDevice(Device{ID: "pk-0001", Certificate: []byte{1}, Enrolled: at, By: "tech-1"}))
	must(s.PutDevice(Device{ID: "pk-0002", Certificate: []byte{2}, Enrolled: at, By: "tech-1"}))
	must(s.PutBundle(Directory, 3, []byte("dir v3")))
	must(s.PutBundle(Revocations, 1, []byte("rev v1")))
	must(s.PutBlock(Block{ID: "pk-0002", Reason: "duress", At: at}))
	must(s.PutWipe(Wipe{Device: "pk-0001", Order: []byte("order"), Queued: at}))
	if _, err := s.Audit(Event{Time: at, Kind: "enrolled", Device: "pk-0001"}); err != nil {
		t.Fatal(err)
	}
	must(s.Close())

	s = open(t, path, Options{})
	defer s.Close()
	ds, err := s.Devices()
	if err != nil || len(ds) != 2 || ds[0].ID != "pk-0001" || ds[1].Certificate[0] != 2 || !ds[0].Enrolled.Equal(at) {
		t.Fatalf("devices after reopen: %+v, %v", ds, err)
	}
	if v, b, err := s.Bundle(Directory); err != nil || v != 3 || string(b) != "dir v3" {
		t.Fatalf("directory after reopen: %d %q %v", v, b, err)
	}
	if v, _, err := s.Bundle(Revocations); err != nil || v != 1 {
		t.Fatalf("revocations after reopen: %d %v", v, err)
	}
	if bs, err := s.Blocks(); err != nil || len(bs) != 1 || bs[0].Reason != "duress" {
		t.Fatalf("blocks after reopen: %+v %v", bs, err)
	}
	if w, err := s.Wipe("pk-0001"); err != nil || string(w.Order) != "order" {
		t.Fatalf("wipe after reopen: %+v %v", w, err)
	}
	if ev, err := s.Events(0, 10); err != nil || len(ev) != 1 || ev[0].Kind != "enrolled" || ev[0].Seq != 1 {
		t.Fatalf("audit after reopen: %+v %v", ev, err)
	}
}

func TestBundleRollbackRefused(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"), Options{})
	defer s.Close()
	if _, _, err := s.Bundle(Directory); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty store: err %v", err)
	}
	if err := s.PutBundle(Directory, 5, []byte("v5")); err != nil {
		t.Fatal(err)
	}
	for _, v := range []uint64{5, 4, 0} {
		if err := s.PutBundle(Directory, v, []byte("old")); !errors.Is(err, ErrRollback) {
			t.Fatalf("version %d over 5: err %v, want ErrRollback", v, err)
		}
	}
	if v, b, _ := s.Bundle(Directory); v != 5 || string(b) != "v5" {
		t.Fatalf("after refused rollbacks: %d %q", v, b)
	}
}

func TestNotFoundAndDeletes(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"), Options{})
	defer s.Close()
	if _, err := s.Device("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Device: %v", err)
	}
	if _, err := s.Wipe("nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Wipe: %v", err)
	}
	s.PutWipe(Wipe{Device: "a", Order: []byte{1}})
	s.PutBlock(Block{ID: "a"})
	if err := s.DeleteWipe("a"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBlock("a"); err != nil {
		t.Fatal(err)
	}
	if w, _ := s.Wipes(); len(w) != 0 {
		t.Fatalf("wipes left: %v", w)
	}
	if b, _ := s.Blocks(); len(b) != 0 {
		t.Fatalf("blocks left: %v", b)
	}
}

func TestAuditCapAndPaging(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "db"), Options{MaxAudit: 5})
	defer s.Close()
	for i := range 12 {
		if seq, err := s.Audit(Event{Kind: "refused", Code: "unknown-ca"}); err != nil || seq != uint64(i+1) {
			t.Fatalf("Audit %d: seq %d err %v", i, seq, err)
		}
	}
	ev, err := s.Events(0, 100)
	if err != nil || len(ev) != 5 || ev[0].Seq != 8 || ev[4].Seq != 12 {
		t.Fatalf("after cap: %d events from %v, err %v", len(ev), ev, err)
	}
	ev, _ = s.Events(9, 2)
	if len(ev) != 2 || ev[0].Seq != 10 || ev[1].Seq != 11 {
		t.Fatalf("page after 9: %+v", ev)
	}
}

func TestSecondOpenTimesOut(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	s := open(t, path, Options{})
	defer s.Close()
	if _, err := Open(path, Options{Timeout: 50 * time.Millisecond}); err == nil {
		t.Fatal("second Open of a locked database succeeded")
	}
}
