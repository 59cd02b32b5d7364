package whitelist_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"mehfooz/atomicfile"
	"mehfooz/clock"
	"mehfooz/trust"
	"mehfooz/trust/bundle"
	"mehfooz/trust/ca"
	"mehfooz/trust/directory"
	"mehfooz/trust/pin"
	"mehfooz/trust/revocation"
	"mehfooz/trust/trusttest"
	"mehfooz/trust/whitelist"
)

type world struct {
	f    *trusttest.Fleet
	dir  *directory.Holder
	rev  *revocation.Holder
	gate *whitelist.Gate
}

func newWorld(t *testing.T, f *trusttest.Fleet, pins *pin.Set) *world {
	t.Helper()
	dh, err := directory.NewHolder(f.Verifier, &bundle.Memory{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rh, err := revocation.NewHolder(f.Verifier, &bundle.Memory{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &world{f: f, dir: dh, rev: rh, gate: whitelist.New(f.Verifier, dh, rh, pins)}
}

func (w *world) publish(t *testing.T, d *directory.Directory, revoked ...trust.DeviceID) {
	t.Helper()
	if d != nil {
		if _, err := w.dir.Offer(w.f.SignDirectory(d)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.rev.Offer(w.f.SignRevocations(w.f.Revocations(revoked...))); err != nil {
		t.Fatal(err)
	}
}

// TestAdmitRejections is the rejection table of docs/trust.md: one case per
// reason, each must wrap its sentinel.
func TestAdmitRejections(t *testing.T) {
	f := trusttest.New(t)
	good := f.Enroll("pk-0001")
	revoked := f.Enroll("pk-0002")
	stale := f.Enroll("pk-0003") // listed with an older certificate
	oldCert := stale.Cert
	w := newWorld(t, f, nil)
	d := f.Directory()
	f.Enroll("pk-0003") // re-enrolled after the directory was built
	unlisted := f.Enroll("pk-0004")
	w.publish(t, d, revoked.ID)
	if oldCert.Equal(f.Devices["pk-0003"].Cert) {
		t.Fatal("fixture: re-enrollment reused the certificate")
	}

	other := trusttest.New(t).Enroll("pk-0001")
	tk, _ := ca.NewKey()
	tech, _ := f.CA.IssueTechnician("tech-amina", &tk.PublicKey, 0)

	for _, tc := range []struct {
		name string
		cert *x509.Certificate
		want error
	}{
		{"unenrolled", nil, trust.ErrUnenrolled},
		{"other CA", other.Cert, trust.ErrWrongCA},
		{"wrong EKU (technician)", tech, trust.ErrWrongEKU},
		{"revoked", revoked.Cert, trust.ErrRevoked},
		{"not in directory", unlisted.Cert, trust.ErrNotInDirectory},
		{"fingerprint mismatch", f.Devices["pk-0003"].Cert, trust.ErrFingerprintMismatch},
	} {
		if _, err := w.gate.Admit(tc.cert); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if e, err := w.gate.Admit(good.Cert); err != nil || e.ID != good.ID {
		t.Fatalf("good device: %v", err)
	}

	// Time moves: first the revocation list goes stale, then the certificate expires.
	f.Clock.Advance(8 * 24 * time.Hour)
	if _, err := w.gate.Admit(good.Cert); !errors.Is(err, trust.ErrStaleRevocation) {
		t.Errorf("stale list: %v", err)
	}
	f.Clock.Advance(ca.DeviceValidity)
	if _, err := w.gate.Admit(good.Cert); !errors.Is(err, trust.ErrExpired) {
		t.Errorf("expired: %v", err)
	}
	early, _ := trust.NewVerifier(f.CA.Certificate(), clock.NewFake(trusttest.Epoch.Add(-time.Hour)))
	if _, err := whitelist.New(early, w.dir, w.rev, nil).Admit(good.Cert); !errors.Is(err, trust.ErrNotYetValid) {
		t.Errorf("not yet valid: %v", err)
	}
}

func TestAdmitWithoutBundlesFailsClosed(t *testing.T) {
	f := trusttest.New(t)
	dev := f.Enroll("pk-0001")
	w := newWorld(t, f, nil)
	if _, err := w.gate.Admit(dev.Cert); !errors.Is(err, trust.ErrNoDirectory) {
		t.Fatalf("no directory: %v", err)
	}
	w.dir.Offer(f.SignDirectory(f.Directory()))
	if _, err := w.gate.Admit(dev.Cert); !errors.Is(err, trust.ErrNoRevocationList) {
		t.Fatalf("no revocation list: %v", err)
	}
}

func TestMayCallPolicyAndRevocation(t *testing.T) {
	f := trusttest.New(t)
	a, b, c := f.Enroll("pk-0001"), f.Enroll("pk-0002"), f.Enroll("pk-0003")
	w := newWorld(t, f, nil)
	d := f.Directory()
	for i := range d.Entries {
		if d.Entries[i].ID == c.ID {
			d.Entries[i].Groups = []string{"guests"} // no rule mentions guests
		}
	}
	w.publish(t, d)
	if err := w.gate.MayCall(a.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.gate.MayCall(a.ID, c.ID); !errors.Is(err, trust.ErrPolicyForbids) {
		t.Fatalf("policy: %v", err)
	}
	w.publish(t, nil, b.ID)
	if err := w.gate.MayCall(a.ID, b.ID); !errors.Is(err, trust.ErrRevoked) {
		t.Fatalf("callee revoked: %v", err)
	}
	if err := w.gate.MayCall(b.ID, a.ID); !errors.Is(err, trust.ErrRevoked) {
		t.Fatalf("caller revoked: %v", err)
	}
	if err := w.gate.Revoked(b.ID); !errors.Is(err, trust.ErrRevoked) {
		t.Fatalf("Revoked: %v", err)
	}
}

func TestPeerChecksDirectionAndPin(t *testing.T) {
	f := trusttest.New(t)
	me, boss := f.Enroll("pk-0001"), f.Enroll("pk-0002")
	pins, _ := pin.Open(atomicfile.File{Path: filepath.Join(t.TempDir(), "pins")})
	w := newWorld(t, f, pins)
	d := f.Directory()
	d.Rules = []directory.Rule{{From: "boss", To: "staff"}}
	for i := range d.Entries {
		if d.Entries[i].ID == boss.ID {
			d.Entries[i].Groups = []string{"boss"}
		}
	}
	w.publish(t, d)
	v, err := w.gate.Peer(boss.Cert, me.ID, whitelist.Incoming)
	if err != nil || v.Pin != pin.First || v.Entry.ID != boss.ID {
		t.Fatalf("incoming from boss = %+v, %v", v, err)
	}
	if _, err := w.gate.Peer(boss.Cert, me.ID, whitelist.Outgoing); !errors.Is(err, trust.ErrPolicyForbids) {
		t.Fatalf("staff calling boss: %v", err)
	}
	if v, err := w.gate.Peer(boss.Cert, me.ID, whitelist.Incoming); err != nil || v.Pin != pin.Same {
		t.Fatalf("second call = %+v, %v", v, err)
	}
	if _, err := w.gate.Peer(boss.Cert, me.ID, "sideways"); err == nil {
		t.Fatal("unknown direction accepted")
	}
	// PeerAt judges at the instant it is given, not the gate's clock.
	late := boss.Cert.NotAfter.Add(time.Second)
	if _, err := w.gate.PeerAt(boss.Cert, me.ID, whitelist.Incoming, late); !errors.Is(err, trust.ErrExpired) {
		t.Fatalf("PeerAt after expiry: %v", err)
	}
}

// TestAdmitOverTLS runs the Gate inside a real mutual TLS 1.3 handshake on
// loopback, as the exchange does: an admitted device gets through, a revoked
// one is refused during the handshake and reads nothing.
func TestAdmitOverTLS(t *testing.T) {
	f := trusttest.NewAt(t, time.Now())
	good, bad := f.Enroll("pk-0001"), f.Enroll("pk-0002")
	w := newWorld(t, f, nil)
	w.publish(t, f.Directory(), bad.ID)
	xk, _ := ca.NewKey()
	xc, _ := f.CA.IssueExchange(&xk.PublicKey, []string{"127.0.0.1"}, 0)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{{Certificate: [][]byte{xc.Raw}, PrivateKey: xk}},
		ClientAuth:   tls.RequireAnyClientCert,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			_, _, err := w.gate.AdmitRaw(raw)
			return err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	serverErr := make(chan error, 2)
	go func() {
		for range 2 {
			c, err := ln.Accept()
			if err != nil {
				serverErr <- err
				return
			}
			err = c.(*tls.Conn).Handshake()
			if err == nil {
				_, err = c.Write([]byte("welcome"))
			}
			c.Close()
			serverErr <- err
		}
	}()
	dial := func(d *trusttest.Device) (string, error) {
		c, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{
			MinVersion: tls.VersionTLS13, RootCAs: f.Verifier.Pool(), ServerName: "127.0.0.1",
			Certificates: []tls.Certificate{d.TLS()},
		})
		if err != nil {
			return "", err
		}
		defer c.Close()
		b, err := io.ReadAll(c)
		return string(b), err
	}
	if got, err := dial(good); err != nil || got != "welcome" {
		t.Fatalf("good device: %q, %v", got, err)
	}
	if err := <-serverErr; err != nil {
		t.Fatalf("server, good device: %v", err)
	}
	got, _ := dial(bad)
	if got != "" {
		t.Fatalf("revoked device read %q", got)
	}
	if err := <-serverErr; err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("server, revoked device: %v", err)
	}
}

func BenchmarkAdmit(b *testing.B) {
	f := trusttest.New(b)
	var last *trusttest.Device
	for i := range 100 {
		last = f.Enroll(trust.DeviceID("pk-" + strings.Repeat("0", 4-len(strconv.Itoa(i))) + strconv.Itoa(i)))
	}
	dh, _ := directory.NewHolder(f.Verifier, &bundle.Memory{}, nil)
	rh, _ := revocation.NewHolder(f.Verifier, &bundle.Memory{}, nil)
	dh.Offer(f.SignDirectory(f.Directory()))
	rh.Offer(f.SignRevocations(f.Revocations("pk-0001", "pk-0002")))
	g := whitelist.New(f.Verifier, dh, rh, nil)
	raw := [][]byte{last.Cert.Raw}
	for b.Loop() {
		if _, _, err := g.AdmitRaw(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// TestClockRollbackCannotReviveExpired moves the handset's clock back, as a
// fake base station's NITZ can, past the issue time of the revocation list
// it holds: a certificate that had expired before that list was signed must
// stay expired, also after a restart.
func TestClockRollbackCannotReviveExpired(t *testing.T) {
	f := trusttest.New(t)
	old := f.Enroll("pk-0001") // 30 days
	d := f.Directory()
	f.Clock.Advance(40 * 24 * time.Hour)
	dirRaw, revRaw := f.SignDirectory(d), f.SignRevocations(f.Revocations())

	// The handset's clock: the fleet's, minus what the attacker sets back.
	clk := &rolledBack{Clock: f.Clock}
	handset := func() *whitelist.Gate {
		v, err := trust.NewVerifier(f.CA.Certificate(), clk)
		if err != nil {
			t.Fatal(err)
		}
		dh, err := directory.NewHolder(v, memoryWith(dirRaw), nil)
		if err != nil {
			t.Fatal(err)
		}
		rh, err := revocation.NewHolder(v, memoryWith(revRaw), nil)
		if err != nil {
			t.Fatal(err)
		}
		return whitelist.New(v, dh, rh, nil)
	}
	g := handset()
	if _, err := g.Admit(old.Cert); !errors.Is(err, trust.ErrExpired) {
		t.Fatalf("before the rollback: %v, want ErrExpired", err)
	}
	clk.back = 39 * 24 * time.Hour // day 1: the certificate's clock reading would pass
	if _, err := g.Admit(old.Cert); !errors.Is(err, trust.ErrExpired) {
		t.Fatalf("clock set back to day 1: %v, want ErrExpired still", err)
	}
	// A restart keeps the floor: it comes from the bundles held on disk.
	if _, err := handset().Admit(old.Cert); !errors.Is(err, trust.ErrExpired) {
		t.Fatalf("restarted with the clock set back: %v, want ErrExpired", err)
	}
}

// rolledBack is a clock that an attacker has set back by back.
type rolledBack struct {
	clock.Clock
	back time.Duration
}

func (c *rolledBack) Now() time.Time { return c.Clock.Now().Add(-c.back) }

func memoryWith(b []byte) *bundle.Memory {
	m := &bundle.Memory{}
	m.Save(b)
	return m
}
