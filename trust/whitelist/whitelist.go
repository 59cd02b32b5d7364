// Package whitelist makes the admission decision: may this certificate's
// holder connect, and may it call (or be called by) that device. It
// combines the Verifier (chain, validity, usages, key, device ID), the
// revocation list, the directory (listed, with this very certificate, and
// allowed by the policy) and, on a handset, the contact's pin. The exchange
// and both handsets of a call run the same checks, so a compromised
// exchange cannot connect two handsets the directory keeps apart.
package whitelist

import (
	"crypto/x509"
	"fmt"
	"time"

	"mehfooz/trust"
	"mehfooz/trust/bundle"
	"mehfooz/trust/directory"
	"mehfooz/trust/pin"
	"mehfooz/trust/revocation"
)

// Directories gives the current directory; *directory.Holder is one.
type Directories interface {
	Current() (*directory.Directory, *bundle.Bundle)
}

// Revocations gives the current revocation list; *revocation.Holder is one.
type Revocations interface {
	Current() (*revocation.List, *bundle.Bundle)
}

// Gate is the admission decision. Pins is nil on the exchange.
type Gate struct {
	v    *trust.Verifier
	dir  Directories
	rev  Revocations
	pins *pin.Set
}

// New returns a Gate. pins may be nil (the exchange pins nothing).
func New(v *trust.Verifier, dir Directories, rev Revocations, pins *pin.Set) *Gate {
	return &Gate{v: v, dir: dir, rev: rev, pins: pins}
}

// Direction of a call from the point of view of the handset checking its peer.
type Direction string

const (
	Outgoing Direction = "outgoing" // we call the peer
	Incoming Direction = "incoming" // the peer calls us
)

// Verdict is what the Gate learned about an admitted peer.
type Verdict struct {
	Entry directory.Entry
	Pin   pin.Change // empty when the Gate has no pins
}

func (g *Gate) current() (*directory.Directory, *revocation.List, error) {
	d, _ := g.dir.Current()
	if d == nil {
		return nil, nil, trust.ErrNoDirectory
	}
	l, _ := g.rev.Current()
	if l == nil {
		return nil, nil, trust.ErrNoRevocationList
	}
	return d, l, nil
}

// Admit decides whether leaf belongs to an enrolled, unrevoked handset that
// the directory lists with exactly this certificate. The exchange calls it
// on every connection; it returns the directory entry.
func (g *Gate) Admit(leaf *x509.Certificate) (directory.Entry, error) {
	return g.AdmitAt(leaf, g.v.Now())
}

// AdmitAt is Admit at time at, for callers that carry their own clock
// reading (a message's check against one instant).
func (g *Gate) AdmitAt(leaf *x509.Certificate, at time.Time) (directory.Entry, error) {
	if err := g.v.Verify(leaf, trust.RoleDevice, at); err != nil {
		return directory.Entry{}, fmt.Errorf("whitelist: admit: %w", err)
	}
	id := trust.DeviceID(leaf.Subject.CommonName)
	d, l, err := g.current()
	if err != nil {
		return directory.Entry{}, fmt.Errorf("whitelist: admit %s: %w", id, err)
	}
	if err := l.Check(id, at); err != nil {
		return directory.Entry{}, fmt.Errorf("whitelist: admit: %w", err)
	}
	e, err := d.Check(id, trust.FingerprintOf(leaf.Raw))
	if err != nil {
		return directory.Entry{}, fmt.Errorf("whitelist: admit: %w", err)
	}
	return e, nil
}

// AdmitRaw is Admit for the raw certificates of a TLS or DTLS peer.
func (g *Gate) AdmitRaw(rawCerts [][]byte) (directory.Entry, *x509.Certificate, error) {
	leaf, err := trust.ParseLeaf(rawCerts)
	if err != nil {
		return directory.Entry{}, nil, fmt.Errorf("whitelist: admit: %w", err)
	}
	e, err := g.Admit(leaf)
	return e, leaf, err
}

// MayCall decides whether from may call to now: neither is revoked, both are
// listed, and the policy has a rule from one of from's groups to one of to's.
// The exchange calls it before routing an invite.
func (g *Gate) MayCall(from, to trust.DeviceID) error {
	return g.mayCallAt(from, to, g.v.Now())
}

func (g *Gate) mayCallAt(from, to trust.DeviceID, now time.Time) error {
	d, l, err := g.current()
	if err != nil {
		return fmt.Errorf("whitelist: %s -> %s: %w", from, to, err)
	}
	for _, id := range []trust.DeviceID{from, to} {
		if err := l.Check(id, now); err != nil {
			return fmt.Errorf("whitelist: %s -> %s: %w", from, to, err)
		}
	}
	if err := d.MayCall(from, to); err != nil {
		return fmt.Errorf("whitelist: %w", err)
	}
	return nil
}

// Peer is a handset's check of the other end of a call before it rings or
// connects: Admit, then MayCall in the call's direction, then the pin.
func (g *Gate) Peer(leaf *x509.Certificate, self trust.DeviceID, dir Direction) (Verdict, error) {
	return g.PeerAt(leaf, self, dir, g.v.Now())
}

// PeerAt is Peer at time at.
func (g *Gate) PeerAt(leaf *x509.Certificate, self trust.DeviceID, dir Direction, at time.Time) (Verdict, error) {
	e, err := g.AdmitAt(leaf, at)
	if err != nil {
		return Verdict{}, err
	}
	from, to := self, e.ID
	switch dir {
	case Incoming:
		from, to = e.ID, self
	case Outgoing:
	default:
		return Verdict{}, fmt.Errorf("whitelist: peer %s: unknown direction %q", e.ID, dir)
	}
	if err := g.mayCallAt(from, to, at); err != nil {
		return Verdict{}, err
	}
	v := Verdict{Entry: e}
	if g.pins != nil {
		d, _ := g.dir.Current()
		v.Pin, err = g.pins.Check(e.ID, leaf, d, at)
		if err != nil {
			return Verdict{}, fmt.Errorf("whitelist: peer %s: %w", e.ID, err)
		}
	}
	return v, nil
}

// Revoked reports whether id is revoked (or the list is missing or stale,
// which the call layer must treat the same way: fail closed). It is what a
// call in progress asks when the revocation Holder's Changed fires.
func (g *Gate) Revoked(id trust.DeviceID) error {
	l, _ := g.rev.Current()
	if err := l.Check(id, g.v.Now()); err != nil {
		return fmt.Errorf("whitelist: %w", err)
	}
	return nil
}
