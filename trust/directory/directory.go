// Package directory is the whitelist: a signed, versioned list of the
// enrolled handsets (device ID, display name, office or rank, certificate
// fingerprint, groups) and the policy of which group may call which. A
// handset calls, and answers, only devices its current directory lists with
// the certificate they present, and only where the policy allows.
//
// Body format, inside a bundle of kind directory (integers big-endian):
//
//	entries  uint16 count, then for each, in strictly increasing ID order:
//	  id          uint8 length + device ID
//	  name        uint16 length + UTF-8 (≤ 256 bytes; Urdu welcome)
//	  office      uint16 length + UTF-8 (≤ 256 bytes)
//	  fingerprint 32 bytes, SHA-256 of the certificate DER
//	  groups      uint8 count (≤ 16), then names in strictly increasing order
//	rules    uint16 count, then (from, to) group-name pairs in strictly
//	         increasing order; a rule lets any member of from call any
//	         member of to
//
// Strictly increasing orders make the encoding canonical: one directory has
// one encoding, and a decoder refuses any other.
package directory

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

// Limits on what a directory may hold.
const (
	MaxEntries   = 10000
	MaxRules     = 4096
	MaxGroups    = 16 // per entry
	MaxNameBytes = 256
)

// Entry is one enrolled handset.
type Entry struct {
	ID          trust.DeviceID
	Name        string // display name, may be Urdu
	Office      string // office or rank
	Fingerprint trust.Fingerprint
	Groups      []string
}

// Rule lets members of group From call members of group To.
type Rule struct{ From, To string }

// Directory is a decoded, verified directory.
type Directory struct {
	Version  uint64
	IssuedAt time.Time
	Entries  []Entry // sorted by ID
	Rules    []Rule  // sorted
}

// Lookup returns the entry for id.
func (d *Directory) Lookup(id trust.DeviceID) (Entry, bool) {
	i, ok := slices.BinarySearchFunc(d.Entries, id, func(e Entry, id trust.DeviceID) int { return cmp.Compare(e.ID, id) })
	if !ok {
		return Entry{}, false
	}
	return d.Entries[i], true
}

// Check returns id's entry if the directory lists it with fingerprint fp.
func (d *Directory) Check(id trust.DeviceID, fp trust.Fingerprint) (Entry, error) {
	e, ok := d.Lookup(id)
	if !ok {
		return Entry{}, fmt.Errorf("%w: %s (directory version %d)", trust.ErrNotInDirectory, id, d.Version)
	}
	if e.Fingerprint != fp {
		return Entry{}, fmt.Errorf("%w: %s presented %s, directory version %d lists %s", trust.ErrFingerprintMismatch, id, fp, d.Version, e.Fingerprint)
	}
	return e, nil
}

// MayCall reports whether from may call to under this directory's policy.
func (d *Directory) MayCall(from, to trust.DeviceID) error {
	f, ok := d.Lookup(from)
	if !ok {
		return fmt.Errorf("%w: caller %s", trust.ErrNotInDirectory, from)
	}
	t, ok := d.Lookup(to)
	if !ok {
		return fmt.Errorf("%w: callee %s", trust.ErrNotInDirectory, to)
	}
	if from == to {
		return fmt.Errorf("%w: %s calling itself", trust.ErrPolicyForbids, from)
	}
	for _, fg := range f.Groups {
		for _, tg := range t.Groups {
			if _, ok := slices.BinarySearchFunc(d.Rules, Rule{fg, tg}, compareRule); ok {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: %s may not call %s", trust.ErrPolicyForbids, from, to)
}

// Contacts returns the entries self may call, in directory order: the
// handset's contact list.
func (d *Directory) Contacts(self trust.DeviceID) []Entry {
	var out []Entry
	for _, e := range d.Entries {
		if e.ID != self && d.MayCall(self, e.ID) == nil {
			out = append(out, e)
		}
	}
	return out
}

func compareRule(a, b Rule) int {
	return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To))
}

// Canonical returns a copy of d with entries, groups and rules sorted, after
// checking every field and refusing duplicates. Sign uses it.
func (d *Directory) Canonical() (*Directory, error) {
	c := &Directory{Version: d.Version, IssuedAt: d.IssuedAt}
	if len(d.Entries) > MaxEntries || len(d.Rules) > MaxRules {
		return nil, fmt.Errorf("directory: %d entries, %d rules: too many", len(d.Entries), len(d.Rules))
	}
	for _, e := range d.Entries {
		if !e.ID.Valid() {
			return nil, fmt.Errorf("directory: %w: %q", trust.ErrBadDeviceID, e.ID)
		}
		if err := bundle.CheckText(e.Name, MaxNameBytes); err != nil {
			return nil, fmt.Errorf("directory: %s name: %w", e.ID, err)
		}
		if err := bundle.CheckText(e.Office, MaxNameBytes); err != nil {
			return nil, fmt.Errorf("directory: %s office: %w", e.ID, err)
		}
		g := slices.Clone(e.Groups)
		slices.Sort(g)
		if len(g) > MaxGroups || len(slices.Compact(slices.Clone(g))) != len(g) {
			return nil, fmt.Errorf("directory: %s: more than %d or repeated groups", e.ID, MaxGroups)
		}
		for _, n := range g {
			if !trust.ValidName(n) {
				return nil, fmt.Errorf("directory: %s: bad group name %q", e.ID, n)
			}
		}
		e.Groups = g
		c.Entries = append(c.Entries, e)
	}
	slices.SortFunc(c.Entries, func(a, b Entry) int { return cmp.Compare(a.ID, b.ID) })
	for i := 1; i < len(c.Entries); i++ {
		if c.Entries[i].ID == c.Entries[i-1].ID {
			return nil, fmt.Errorf("directory: %s listed twice", c.Entries[i].ID)
		}
	}
	c.Rules = slices.Clone(d.Rules)
	for _, r := range c.Rules {
		if !trust.ValidName(r.From) || !trust.ValidName(r.To) {
			return nil, fmt.Errorf("directory: bad rule %q -> %q", r.From, r.To)
		}
	}
	slices.SortFunc(c.Rules, compareRule)
	c.Rules = slices.Compact(c.Rules)
	return c, nil
}

// Encode returns the canonical body encoding of d.
func (d *Directory) Encode() ([]byte, error) {
	c, err := d.Canonical()
	if err != nil {
		return nil, err
	}
	w := &bundle.Writer{}
	w.U16(uint16(len(c.Entries)))
	for _, e := range c.Entries {
		w.Bytes8([]byte(e.ID))
		w.Bytes16([]byte(e.Name))
		w.Bytes16([]byte(e.Office))
		w.Raw(e.Fingerprint[:])
		w.U8(uint8(len(e.Groups)))
		for _, g := range e.Groups {
			w.Bytes8([]byte(g))
		}
	}
	w.U16(uint16(len(c.Rules)))
	for _, r := range c.Rules {
		w.Bytes8([]byte(r.From))
		w.Bytes8([]byte(r.To))
	}
	return w.B, nil
}

// Decode parses a body strictly: every limit, every name form, canonical
// order, no trailing bytes.
func Decode(body []byte) (*Directory, error) {
	r := bundle.NewReader(body)
	d := &Directory{}
	n := int(r.U16())
	if n > MaxEntries {
		r.Fail("%d entries exceed %d", n, MaxEntries)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		var e Entry
		e.ID = trust.DeviceID(r.Name("device ID"))
		e.Name = r.Text("name", MaxNameBytes)
		e.Office = r.Text("office", MaxNameBytes)
		copy(e.Fingerprint[:], r.Fixed(32))
		ng := int(r.U8())
		if ng > MaxGroups {
			r.Fail("%s: %d groups exceed %d", e.ID, ng, MaxGroups)
		}
		for j := 0; j < ng && r.Err() == nil; j++ {
			g := r.Name("group")
			if j > 0 && g <= e.Groups[j-1] {
				r.Fail("%s: groups not in strictly increasing order", e.ID)
			}
			e.Groups = append(e.Groups, g)
		}
		if i > 0 && r.Err() == nil && e.ID <= d.Entries[i-1].ID {
			r.Fail("entry %s not in strictly increasing order", e.ID)
		}
		d.Entries = append(d.Entries, e)
	}
	nr := int(r.U16())
	if nr > MaxRules {
		r.Fail("%d rules exceed %d", nr, MaxRules)
	}
	for i := 0; i < nr && r.Err() == nil; i++ {
		ru := Rule{From: r.Name("rule group"), To: r.Name("rule group")}
		if i > 0 && r.Err() == nil && compareRule(ru, d.Rules[i-1]) <= 0 {
			r.Fail("rules not in strictly increasing order")
		}
		d.Rules = append(d.Rules, ru)
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	return d, nil
}

// Sign encodes d (its Version and IssuedAt included) into a signed bundle.
func Sign(d *Directory, signer crypto.Signer, cert *x509.Certificate) ([]byte, error) {
	body, err := d.Encode()
	if err != nil {
		return nil, err
	}
	return bundle.Sign(bundle.KindDirectory, d.Version, d.IssuedAt, body, signer, cert)
}

// Verify checks a signed directory bundle and decodes it.
func Verify(raw []byte, v *trust.Verifier) (*Directory, error) {
	b, err := bundle.Verify(raw, bundle.KindDirectory, v)
	if err != nil {
		return nil, err
	}
	return fromBundle(b)
}

func fromBundle(b *bundle.Bundle) (*Directory, error) {
	d, err := Decode(b.Body)
	if err != nil {
		return nil, err
	}
	d.Version, d.IssuedAt = b.Version, b.IssuedAt
	return d, nil
}

// Holder keeps the newest verified directory (see bundle.Holder).
type Holder = bundle.Holder[*Directory]

// NewHolder loads the directory held in store, verified against v.
func NewHolder(v *trust.Verifier, store bundle.Store, log *slog.Logger) (*Holder, error) {
	return bundle.NewHolder(bundle.KindDirectory, v, store, fromBundle, log)
}
