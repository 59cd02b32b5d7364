package exchange_test

import (
	"errors"
	"testing"
	"time"

	"mehfooz/exchange/admin"
	"mehfooz/exchange/client"
	"mehfooz/exchange/wire"
	"mehfooz/trust/directory"
	"mehfooz/trust/revocation"
)

// Bundles go through the technician API; a rollback and a tampered bundle
// are refused with their reason, the exchange and every handset keep what
// they had.
func TestDirectoryRollbackAndTamperRefused(t *testing.T) {
	checkGoroutines(t)
	h := newHarness(t, nil)
	devA := h.enroll("pk-0001")
	h.enroll("pk-0002")
	api := h.adminClient(h.tech)
	ctx := t.Context()

	v1 := h.fleet.SignDirectory(h.fleet.Directory())
	v2 := h.fleet.SignDirectory(h.fleet.Directory())
	if p, err := api.PublishDirectory(ctx, v2); err != nil || p.Version != 2 {
		t.Fatalf("publish v2: %+v %v", p, err)
	}
	if _, err := api.PublishRevocations(ctx, h.fleet.SignRevocations(h.fleet.Revocations())); err != nil {
		t.Fatal(err)
	}
	a := h.connect(devA, nil)

	_, err := api.PublishDirectory(ctx, v1)
	if !admin.IsCode(err, admin.CodeRollback) {
		t.Fatalf("publishing v1 over v2: %v, want rollback", err)
	}
	var ae *admin.Error
	if !errors.As(err, &ae) || ae.Status != 409 {
		t.Fatalf("rollback status %+v", ae)
	}
	tampered := h.fleet.SignDirectory(h.fleet.Directory()) // v3
	tampered[len(tampered)/2] ^= 0x40
	if _, err := api.PublishDirectory(ctx, tampered); !admin.IsCode(err, admin.CodeBadSignature) && !admin.IsCode(err, admin.CodeBadRequest) {
		t.Fatalf("tampered directory: %v, want bad-signature or bad-request", err)
	}
	// A directory signed by someone who is not the publisher.
	forged, err := directory.Sign(h.fleet.Directory(), devA.Key, devA.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.PublishDirectory(ctx, forged); !admin.IsCode(err, admin.CodeBadSignature) {
		t.Fatalf("directory signed by a device: %v, want bad-signature", err)
	}
	h.auditHas("refused", "rollback", "")
	h.auditHas("refused", "bad-signature", "")

	got, err := api.Directory(ctx)
	if err != nil || string(got) != string(v2) {
		t.Fatalf("current directory is not v2 (%v)", err)
	}
	if f := h.x.Status(); f.Directory != 2 {
		t.Fatalf("exchange holds directory %d, want 2", f.Directory)
	}
	// The handset was not sent any of the refused bundles.
	a.quiet(100 * time.Millisecond)
}

// A handset that reports an old version gets the current bundles on
// connect; one that is current gets none.
func TestBundlesPushedOnlyWhenNewer(t *testing.T) {
	h := newHarness(t, nil)
	dev := h.enroll("pk-0001")
	h.publish(nil)
	hs := h.start1(dev, nil)
	next[*client.Connected](hs)
	if d := next[*client.DirectoryUpdate](hs); len(d.Bundle) == 0 {
		t.Fatal("empty directory pushed")
	}
	next[*client.RevocationUpdate](hs)
	hs.stop()

	current := h.start1(dev, func(c *client.Config) {
		c.Directory = func() uint64 { return 1 }
		c.Revocations = func() uint64 { return 1 }
	})
	next[*client.Connected](current)
	if p := next[*client.PresenceUpdate](current); !p.Full {
		t.Fatalf("first after connect: %+v, want the full presence and no bundles", p)
	}
}

// Revoking a device in a call: the signed list reaches both handsets at
// once, the peer's call is ended, the revoked handset is cut off and its
// client stops.
func TestRevocationPushedAndEnforced(t *testing.T) {
	checkGoroutines(t)
	h := newHarness(t, nil)
	devA, devB := h.enroll("pk-0001"), h.enroll("pk-0002")
	h.publish(nil)
	a, b := h.connect(devA, nil), h.connect(devB, nil)
	call := wire.NewCallID()
	if err := a.c.Send(t.Context(), wire.Envelope{Kind: wire.Invite, Call: call, To: "pk-0002"}); err != nil {
		t.Fatal(err)
	}
	next[*client.Routed](b, noise)
	if err := b.c.Send(t.Context(), wire.Envelope{Kind: wire.Answer, Call: call, To: "pk-0001"}); err != nil {
		t.Fatal(err)
	}
	next[*client.Routed](a, noise)

	list := h.fleet.Revocations("pk-0002")
	api := h.adminClient(h.tech)
	if _, err := api.PublishRevocations(t.Context(), h.fleet.SignRevocations(list)); err != nil {
		t.Fatal(err)
	}
	// A: the signed list first, then the exchange ends the call.
	isPresence := func(e client.Event) bool { _, ok := e.(*client.PresenceUpdate); return ok }
	ru := next[*client.RevocationUpdate](a, isPresence)
	l, err := revocation.Verify(ru.Bundle, h.fleet.Verifier)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := l.Lookup("pk-0002"); !ok {
		t.Fatal("pushed list does not revoke pk-0002")
	}
	ce := next[*client.CallEnded](a, isPresence)
	if ce.Call != call || ce.Code != wire.CodeRevoked {
		t.Fatalf("call ended %+v", ce)
	}
	// B: cut off as revoked; its client stops.
	next[*client.RevocationUpdate](b, isPresence)
	d := next[*client.Disconnected](b, func(e client.Event) bool { return isPresence(e) || isCallEnded(e) })
	if !errors.Is(d.Err, client.ErrRevoked) {
		t.Fatalf("B disconnected with %v, want revoked", d.Err)
	}
	h.auditHas("revoked", "", "pk-0002")
	if f := h.x.Status(); f.Devices[1].Online || f.Devices[1].Revoked != revocation.ReasonLost {
		t.Fatalf("fleet after revocation: %+v", f.Devices[1])
	}
	// B reconnecting is refused (its client has stopped; try raw).
	_, m, _ := h.dialRaw(devB.TLS())
	if e, ok := m.(*wire.Error); !ok || e.Code != wire.CodeRevoked {
		t.Fatalf("revoked reconnect got %#v", m)
	}
}

func isCallEnded(e client.Event) bool { _, ok := e.(*client.CallEnded); return ok }
