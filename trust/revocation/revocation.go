// Package revocation is the signed, versioned list of revoked handsets, and
// the "revoke me" request a handset signs for itself (after a duress PIN or
// too many wrong PINs). A revoked device can neither call nor be called; the
// call layer watches the Holder and tears down a call in progress with a
// device that a newer list revokes.
//
// Body format, inside a bundle of kind revocation (integers big-endian):
//
//	expires  int64 Unix seconds: after this the list is stale and the
//	         whitelist fails closed until a newer one arrives
//	entries  uint32 count, then for each, in strictly increasing ID order:
//	  id       uint8 length + device ID
//	  revoked  int64 Unix seconds
//	  reason   uint8 length + reason name (e.g. "lost", "duress")
//
// The list is complete, not a delta: a device is un-revoked by publishing a
// newer list without it.
package revocation

import (
	"cmp"
	"crypto"
	"crypto/x509"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"mehfooz/trust"
	"mehfooz/trust/bundle"
)

// MaxEntries caps a list.
const MaxEntries = 100000

// Reasons a device is revoked. Any name of the device-ID form is accepted
// on the wire; these are the ones the system itself writes.
const (
	ReasonLost        = "lost"
	ReasonDuress      = "duress"      // the handset's duress PIN was entered
	ReasonWiped       = "wiped"       // too many wrong PINs wiped the handset
	ReasonRetired     = "retired"     // the official left or the handset was withdrawn
	ReasonCompromised = "compromised" // key or device believed compromised
	ReasonRemoteWipe  = "remote-wipe" // a technician wiped it
)

// Entry is one revoked device.
type Entry struct {
	ID      trust.DeviceID
	Revoked time.Time
	Reason  string
}

// List is a decoded, verified revocation list.
type List struct {
	Version  uint64
	IssuedAt time.Time
	Expires  time.Time
	Entries  []Entry // sorted by ID
}

// Lookup returns id's entry if it is revoked.
func (l *List) Lookup(id trust.DeviceID) (Entry, bool) {
	if l == nil {
		return Entry{}, false
	}
	i, ok := slices.BinarySearchFunc(l.Entries, id, func(e Entry, id trust.DeviceID) int { return cmp.Compare(e.ID, id) })
	if !ok {
		return Entry{}, false
	}
	return l.Entries[i], true
}

// Check returns an error wrapping trust.ErrRevoked if id is revoked, and
// trust.ErrStaleRevocation if the list has expired at now.
func (l *List) Check(id trust.DeviceID, now time.Time) error {
	if l == nil {
		return trust.ErrNoRevocationList
	}
	if now.After(l.Expires) {
		return fmt.Errorf("%w: version %d expired %s", trust.ErrStaleRevocation, l.Version, l.Expires.Format(time.RFC3339))
	}
	if e, ok := l.Lookup(id); ok {
		return fmt.Errorf("%w: %s since %s (%s), list version %d", trust.ErrRevoked, id, e.Revoked.Format(time.RFC3339), e.Reason, l.Version)
	}
	return nil
}

// With returns a copy of l with e added (or replacing id's entry) and
// version+1, for the publisher.
func (l *List) With(e Entry) *List {
	c := &List{}
	if l != nil {
		c.Version, c.Expires = l.Version, l.Expires
		c.Entries = slices.DeleteFunc(slices.Clone(l.Entries), func(x Entry) bool { return x.ID == e.ID })
	}
	c.Version++
	c.Entries = append(c.Entries, e)
	slices.SortFunc(c.Entries, func(a, b Entry) int { return cmp.Compare(a.ID, b.ID) })
	return c
}

// Encode returns the canonical body encoding of l.
func (l *List) Encode() ([]byte, error) {
	es := slices.Clone(l.Entries)
	slices.SortFunc(es, func(a, b Entry) int { return cmp.Compare(a.ID, b.ID) })
	if len(es) > MaxEntries {
		return nil, fmt.Errorf("revocation: %d entries exceed %d", len(es), MaxEntries)
	}
	w := &bundle.Writer{}
	w.I64(l.Expires.Unix())
	w.U32(uint32(len(es)))
	for i, e := range es {
		if !e.ID.Valid() || !trust.ValidName(e.Reason) {
			return nil, fmt.Errorf("revocation: bad entry %q reason %q", e.ID, e.Reason)
		}
		if i > 0 && e.ID == es[i-1].ID {
			return nil, fmt.Errorf("revocation: %s listed twice", e.ID)
		}
		w.Bytes8([]byte(e.ID))
		w.I64(e.Revoked.Unix())
		w.Bytes8([]byte(e.Reason))
	}
	return w.B, nil
}

// Decode parses a body strictly.
func Decode(body []byte) (*List, error) {
	r := bundle.NewReader(body)
	l := &List{Expires: time.Unix(r.I64(), 0).UTC()}
	n := r.U32()
	if n > MaxEntries {
		r.Fail("%d entries exceed %d", n, MaxEntries)
	}
	for i := 0; i < int(n) && r.Err() == nil; i++ {
		e := Entry{ID: trust.DeviceID(r.Name("device ID")), Revoked: time.Unix(r.I64(), 0).UTC(), Reason: r.Name("reason")}
		if i > 0 && r.Err() == nil && e.ID <= l.Entries[i-1].ID {
			r.Fail("entry %s not in strictly increasing order", e.ID)
		}
		l.Entries = append(l.Entries, e)
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("revocation: %w", err)
	}
	return l, nil
}

// Sign encodes l (Version, IssuedAt and Expires included) into a signed bundle.
func Sign(l *List, signer crypto.Signer, cert *x509.Certificate) ([]byte, error) {
	body, err := l.Encode()
	if err != nil {
		return nil, err
	}
	return bundle.Sign(bundle.KindRevocation, l.Version, l.IssuedAt, body, signer, cert)
}

// Verify checks a signed revocation bundle and decodes it.
func Verify(raw []byte, v *trust.Verifier) (*List, error) {
	b, err := bundle.Verify(raw, bundle.KindRevocation, v)
	if err != nil {
		return nil, err
	}
	return fromBundle(b)
}

func fromBundle(b *bundle.Bundle) (*List, error) {
	l, err := Decode(b.Body)
	if err != nil {
		return nil, err
	}
	l.Version, l.IssuedAt = b.Version, b.IssuedAt
	return l, nil
}

// Holder keeps the newest verified revocation list (see bundle.Holder). The
// call layer asks it whether a peer is revoked and waits on Changed to learn
// of a newer list.
type Holder = bundle.Holder[*List]

// NewHolder loads the list held in store, verified against v.
func NewHolder(v *trust.Verifier, store bundle.Store, log *slog.Logger) (*Holder, error) {
	return bundle.NewHolder(bundle.KindRevocation, v, store, fromBundle, log)
}
