// Package trusttest builds a complete trust setup for tests in any package:
// an enrollment CA, a publisher, enrolled handsets with their keys, signed
// directories and revocation lists, all on a clock the test controls. Use it
// as net/http/httptest is used: only from tests.
package trusttest

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/trust"
	"mehfooz/trust/ca"
	"mehfooz/trust/directory"
	"mehfooz/trust/enroll"
	"mehfooz/trust/revocation"
)

// Epoch is the default start of a Fleet's fake clock.
var Epoch = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// Fleet is a CA, a publisher and the handsets enrolled so far.
type Fleet struct {
	t        testing.TB
	Clock    *clock.Fake
	CA       *ca.Authority
	Verifier *trust.Verifier
	// PublisherKey and PublisherCert sign directories and revocation lists.
	PublisherKey  *ecdsa.PrivateKey
	PublisherCert *x509.Certificate
	Devices       map[trust.DeviceID]*Device

	dirVersion, revVersion uint64
}

// Device is an enrolled handset.
type Device struct {
	ID   trust.DeviceID
	Key  *ecdsa.PrivateKey
	Cert *x509.Certificate
}

// TLS returns the device's certificate for a tls.Config.
func (d *Device) TLS() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{d.Cert.Raw}, PrivateKey: d.Key, Leaf: d.Cert}
}

// Fingerprint is the SHA-256 of the device certificate.
func (d *Device) Fingerprint() trust.Fingerprint { return trust.FingerprintOf(d.Cert.Raw) }

// New makes a Fleet whose clock starts at Epoch.
func New(t testing.TB) *Fleet { return NewAt(t, Epoch) }

// NewAt makes a Fleet whose clock starts at start (use time.Now() for
// tests that hand certificates to crypto/tls or pion, which check with the
// host clock).
func NewAt(t testing.TB, start time.Time) *Fleet {
	t.Helper()
	clk := clock.NewFake(start)
	a, err := ca.New(clk, "Test Enrollment CA", 0)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := ca.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	pc, err := a.IssuePublisher("test-publisher", &pk.PublicKey, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &Fleet{t: t, Clock: clk, CA: a, Verifier: a.Verifier(), PublisherKey: pk, PublisherCert: pc, Devices: map[trust.DeviceID]*Device{}}
}

// Enroll generates a key for id, runs it through a real certificate request
// and returns the enrolled device.
func (f *Fleet) Enroll(id trust.DeviceID) *Device {
	f.t.Helper()
	k, err := ca.NewKey()
	if err != nil {
		f.t.Fatal(err)
	}
	der, err := enroll.NewRequest(k, id)
	if err != nil {
		f.t.Fatal(err)
	}
	req, err := enroll.ParseRequest(der)
	if err != nil {
		f.t.Fatal(err)
	}
	c, err := f.CA.IssueDevice(req, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	d := &Device{ID: id, Key: k, Cert: c}
	f.Devices[id] = d
	return d
}

// Directory returns a directory listing every enrolled device in group
// "staff" with the rule staff -> staff, at the next version.
func (f *Fleet) Directory() *directory.Directory {
	f.dirVersion++
	d := &directory.Directory{Version: f.dirVersion, IssuedAt: f.Clock.Now(), Rules: []directory.Rule{{From: "staff", To: "staff"}}}
	for _, dev := range f.Devices {
		d.Entries = append(d.Entries, directory.Entry{ID: dev.ID, Name: string(dev.ID), Office: "test", Fingerprint: dev.Fingerprint(), Groups: []string{"staff"}})
	}
	return d
}

// SignDirectory signs d with the publisher key.
func (f *Fleet) SignDirectory(d *directory.Directory) []byte {
	f.t.Helper()
	raw, err := directory.Sign(d, f.PublisherKey, f.PublisherCert)
	if err != nil {
		f.t.Fatal(err)
	}
	return raw
}

// Revocations returns a revocation list at the next version revoking ids,
// expiring a week from now.
func (f *Fleet) Revocations(ids ...trust.DeviceID) *revocation.List {
	f.revVersion++
	l := &revocation.List{Version: f.revVersion, IssuedAt: f.Clock.Now(), Expires: f.Clock.Now().Add(7 * 24 * time.Hour)}
	for _, id := range ids {
		l.Entries = append(l.Entries, revocation.Entry{ID: id, Revoked: f.Clock.Now(), Reason: revocation.ReasonLost})
	}
	return l
}

// SignRevocations signs l with the publisher key.
func (f *Fleet) SignRevocations(l *revocation.List) []byte {
	f.t.Helper()
	raw, err := revocation.Sign(l, f.PublisherKey, f.PublisherCert)
	if err != nil {
		f.t.Fatal(err)
	}
	return raw
}
