package exchange_test

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"mehfooz/exchange"
	"mehfooz/exchange/client"
	"mehfooz/exchange/internal/pkitest"
	"mehfooz/exchange/wire"
)

// Every way a handset can be unfit is refused at the door with the reason,
// audited, and nothing of it reaches an admitted handset.
func TestAdmissionRefusals(t *testing.T) {
	checkGoroutines(t)
	h := newHarness(t, nil)
	good := h.enroll("pk-0001")
	revoked := h.enroll("pk-0005")
	replaced := h.enroll("pk-0007")
	unregistered := h.fleet.Enroll("pk-0009") // listed in the directory, never registered here
	h.publish(nil)
	if _, err := h.x.PublishRevocations(h.fleet.SignRevocations(h.fleet.Revocations("pk-0005")), "tech-one"); err != nil {
		t.Fatal(err)
	}
	unlisted := h.enroll("pk-0006") // enrolled after the directory was published
	// pk-0007 gets a new certificate, enrolled here but not in the directory.
	oldCert := replaced.TLS()
	renewed := h.fleet.Enroll("pk-0007")
	if _, err := h.x.Enroll(renewed.Cert, "tech-one"); err != nil {
		t.Fatal(err)
	}

	watcher := h.connect(good, nil)

	cases := []struct {
		name string
		cert tls.Certificate
		code string
	}{
		{"unenrolled", unregistered.TLS(), wire.CodeUnenrolled},
		{"certificate from another CA", pkitest.NewCA(t, "Rogue CA").Issue(t, "pk-0001"), wire.CodeWrongCA},
		{"expired", h.rawCA.Issue(t, "pk-0003", pkitest.Expired), wire.CodeExpired},
		{"not yet valid", h.rawCA.Issue(t, "pk-0003", pkitest.NotYetValid), wire.CodeNotYetValid},
		{"wrong EKU", h.rawCA.Issue(t, "pk-0003", pkitest.EKU(x509.ExtKeyUsageClientAuth)), wire.CodeWrongEKU},
		{"technician certificate", h.tech, wire.CodeWrongEKU},
		{"revoked", revoked.TLS(), wire.CodeRevoked},
		{"not in directory", unlisted.TLS(), wire.CodeNotInDirectory},
		{"not the enrolled certificate", oldCert, wire.CodeUnenrolled},
		{"enrolled but directory lists the old one", renewed.TLS(), wire.CodeFingerprintMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rc, m, err := h.dialRaw(c.cert)
			if err != nil {
				t.Fatalf("no refusal frame: %v", err)
			}
			e, ok := m.(*wire.Error)
			if !ok || e.Code != c.code || e.Re != 0 || e.Reason == "" {
				t.Fatalf("got %#v, want an Error with code %q and a reason", m, c.code)
			}
			if _, err := rc.read(); err == nil {
				t.Fatal("connection still open after the refusal")
			}
			ev := h.auditHas("refused", c.code, "")
			if ev.Remote == "" || ev.Reason == "" {
				t.Fatalf("audit event lacks remote or reason: %+v", ev)
			}
		})
	}
	// The admitted handset heard nothing of any of them.
	watcher.quiet(100 * time.Millisecond)
	if got := len(h.x.Status().Devices); got != 4 {
		t.Fatalf("fleet lists %d devices, want the 4 enrolled", got)
	}
}

// The client reports a refusal as a *client.Refusal, keeps retrying for a
// fixable one, and stops for a revocation.
func TestClientSurfacesRefusals(t *testing.T) {
	h := newHarness(t, nil)
	dev := h.enroll("pk-0001")
	h.enroll("pk-0002")
	h.publish(nil)

	unlisted := h.enroll("pk-0003")
	hs := h.start1(unlisted, nil)
	d := next[*client.Disconnected](hs)
	var ref *client.Refusal
	if !errors.As(d.Err, &ref) || ref.Code != wire.CodeNotInDirectory || d.Retry == 0 {
		t.Fatalf("disconnected %+v, want a not-in-directory refusal with a retry", d)
	}
	next[*client.Disconnected](hs) // and again, with backoff
	hs.stop()
	if hs.err != nil {
		t.Fatalf("Run after cancel: %v", hs.err)
	}

	if _, err := h.x.PublishRevocations(h.fleet.SignRevocations(h.fleet.Revocations("pk-0001")), "tech-one"); err != nil {
		t.Fatal(err)
	}
	hs = h.start1(dev, nil)
	d = next[*client.Disconnected](hs)
	if !errors.Is(d.Err, client.ErrRevoked) || d.Retry != 0 {
		t.Fatalf("disconnected %+v, want revoked and no retry", d)
	}
	if err := <-hs.done; !errors.Is(err, client.ErrRevoked) {
		t.Fatalf("Run returned %v, want ErrRevoked", err)
	}
	hs.done <- nil
}

// A handset that cannot do a hybrid post-quantum key exchange is refused
// unless the exchange is configured to allow classical groups.
func TestClassicalKeyExchange(t *testing.T) {
	h := newHarness(t, nil)
	dev := h.enroll("pk-0001")
	h.publish(nil)
	if _, _, err := h.dialRaw(dev.TLS(), tls.X25519); err == nil {
		t.Fatal("X25519-only handshake succeeded")
	}
	h.auditHas("refused", "tls", "")

	h2 := newHarness(t, func(c *exchange.Config) { c.AllowClassical = true })
	dev2 := h2.enroll("pk-0001")
	h2.publish(nil)
	hs := h2.connect(dev2, func(c *client.Config) { c.Groups = []tls.CurveID{tls.X25519} })
	if g := hs.c.State().Group; g != tls.X25519 {
		t.Fatalf("group %v, want X25519", g)
	}
	if d := h2.x.Status().Devices[0]; d.Group != "X25519" {
		t.Fatalf("fleet group %q", d.Group)
	}
}

// Before any directory is published, nobody is admitted.
func TestNoDirectoryNobodyAdmitted(t *testing.T) {
	h := newHarness(t, nil)
	dev := h.enroll("pk-0001")
	_, m, err := h.dialRaw(dev.TLS())
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := m.(*wire.Error); !ok || e.Code != wire.CodeNoDirectory {
		t.Fatalf("got %#v, want no-directory", m)
	}
	// A directory without a revocation list is not enough either.
	d := h.fleet.Directory()
	if _, err := h.x.PublishDirectory(h.fleet.SignDirectory(d), "tech-one"); err != nil {
		t.Fatal(err)
	}
	_, m, _ = h.dialRaw(dev.TLS())
	if e, ok := m.(*wire.Error); !ok || e.Code != wire.CodeNoRevocations {
		t.Fatalf("got %#v, want no-revocation-list", m)
	}
}
