// Package pin is key continuity on the handset: the first key seen for a
// contact is pinned, and a later certificate for that contact with another
// key is an alarm unless a newer directory lists exactly that certificate
// (the contact was re-enrolled). Renewal keeps the key, so it changes the
// certificate but not the pin.
//
// Pins are keyed by the SHA-256 of the certificate's SubjectPublicKeyInfo,
// not of the whole certificate, because handset certificates are renewed
// every few weeks with the same key.
//
// File format (integers big-endian): "MHZP", format 0x01, uint32 count, then
// per record in strictly increasing ID order: uint8 length + device ID,
// 32-byte key hash, 32-byte certificate fingerprint, uint64 directory
// version at pinning, int64 Unix seconds of pinning.
package pin

import (
	"cmp"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"mehfooz/trust"
	"mehfooz/trust/bundle"
	"mehfooz/trust/directory"
)

// Change says what Check did.
type Change string

const (
	First   Change = "first"   // nothing was pinned: pinned now
	Same    Change = "same"    // the pinned key and certificate
	Renewed Change = "renewed" // the pinned key in a new certificate
	Rekeyed Change = "rekeyed" // a new key that a newer directory lists: re-pinned; tell the user
)

// Record is one pinned contact.
type Record struct {
	ID         trust.DeviceID
	Key        [32]byte // SHA-256 of SubjectPublicKeyInfo
	Cert       trust.Fingerprint
	DirVersion uint64
	Since      time.Time
}

// MismatchError is the alarm: a contact's key changed without a new
// directory entry. It wraps trust.ErrPinMismatch.
type MismatchError struct {
	ID                trust.DeviceID
	Pinned, Presented [32]byte
	PinnedSince       time.Time
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("pin: %s presented key %x, pinned %x since %s", e.ID, e.Presented[:8], e.Pinned[:8], e.PinnedSince.Format(time.RFC3339))
}

func (e *MismatchError) Unwrap() error { return trust.ErrPinMismatch }

// Set is the persisted set of pins. Safe for concurrent use.
type Set struct {
	store bundle.Store
	mu    sync.Mutex
	recs  map[trust.DeviceID]Record
}

// Open loads the pins in store.
func Open(store bundle.Store) (*Set, error) {
	b, err := store.Load()
	if err != nil {
		return nil, fmt.Errorf("pin: load: %w", err)
	}
	s := &Set{store: store, recs: map[trust.DeviceID]Record{}}
	if b == nil {
		return s, nil
	}
	recs, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("pin: load: %w", err)
	}
	for _, r := range recs {
		s.recs[r.ID] = r
	}
	return s, nil
}

// KeyHash is the pinned form of a certificate's key.
func KeyHash(c *x509.Certificate) [32]byte { return sha256.Sum256(c.RawSubjectPublicKeyInfo) }

// Check compares cert, already verified as id's, with id's pin, under the
// current directory dir, and pins or re-pins as the rules allow. It persists
// any change before returning.
func (s *Set) Check(id trust.DeviceID, cert *x509.Certificate, dir *directory.Directory, now time.Time) (Change, error) {
	key, fp := KeyHash(cert), trust.FingerprintOf(cert.Raw)
	var version uint64
	if dir != nil {
		version = dir.Version
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.recs[id]
	var change Change
	switch {
	case !ok:
		change = First
	case rec.Key == key && rec.Cert == fp:
		return Same, nil
	case rec.Key == key:
		change = Renewed
	default:
		var e directory.Entry
		listed := false
		if dir != nil {
			e, listed = dir.Lookup(id)
		}
		if !listed || dir.Version <= rec.DirVersion || e.Fingerprint != fp {
			return "", &MismatchError{ID: id, Pinned: rec.Key, Presented: key, PinnedSince: rec.Since}
		}
		change = Rekeyed
	}
	next := Record{ID: id, Key: key, Cert: fp, DirVersion: version, Since: now.UTC().Truncate(time.Second)}
	if change == Renewed {
		next.Since = rec.Since
	}
	old, had := s.recs[id]
	s.recs[id] = next
	if err := s.store.Save(s.encodeLocked()); err != nil {
		if had {
			s.recs[id] = old
		} else {
			delete(s.recs, id)
		}
		return "", fmt.Errorf("pin: persist %s: %w", id, err)
	}
	return change, nil
}

// Get returns id's pin.
func (s *Set) Get(id trust.DeviceID) (Record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.recs[id]
	return r, ok
}

// Forget removes id's pin (after the user or a technician accepted a change).
func (s *Set) Forget(id trust.DeviceID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.recs[id]
	if !ok {
		return nil
	}
	delete(s.recs, id)
	if err := s.store.Save(s.encodeLocked()); err != nil {
		s.recs[id] = old
		return fmt.Errorf("pin: persist: %w", err)
	}
	return nil
}

func (s *Set) encodeLocked() []byte {
	return Encode(slices.Collect(maps.Values(s.recs)))
}

// Encode returns the canonical file encoding of recs.
func Encode(recs []Record) []byte {
	recs = slices.Clone(recs)
	slices.SortFunc(recs, func(a, b Record) int { return cmp.Compare(a.ID, b.ID) })
	w := &bundle.Writer{}
	w.Raw([]byte("MHZP"))
	w.U8(1)
	w.U32(uint32(len(recs)))
	for _, r := range recs {
		w.Bytes8([]byte(r.ID))
		w.Raw(r.Key[:])
		w.Raw(r.Cert[:])
		w.U64(r.DirVersion)
		w.I64(r.Since.Unix())
	}
	return w.B
}

// Decode parses a pin file strictly.
func Decode(b []byte) ([]Record, error) {
	r := bundle.NewReader(b)
	if m := r.Fixed(4); r.Err() == nil && string(m) != "MHZP" {
		r.Fail("not a pin file")
	}
	if f := r.U8(); r.Err() == nil && f != 1 {
		r.Fail("pin format %d", f)
	}
	n := r.U32()
	if n > 100000 {
		r.Fail("%d pins", n)
	}
	var recs []Record
	for i := 0; i < int(n) && r.Err() == nil; i++ {
		rec := Record{ID: trust.DeviceID(r.Name("device ID"))}
		copy(rec.Key[:], r.Fixed(32))
		copy(rec.Cert[:], r.Fixed(32))
		rec.DirVersion = r.U64()
		rec.Since = time.Unix(r.I64(), 0).UTC()
		if i > 0 && r.Err() == nil && rec.ID <= recs[i-1].ID {
			r.Fail("pins not in strictly increasing order")
		}
		recs = append(recs, rec)
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("pin: %w", err)
	}
	return recs, nil
}
