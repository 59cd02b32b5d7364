package exchange_test

import (
	"errors"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/exchange"
	"mehfooz/exchange/admin"
	"mehfooz/exchange/client"
	"mehfooz/exchange/wire"
	"mehfooz/trust/revocation"
)

// A duress PIN on a handset: it sends its pre-signed revocation request, the
// exchange blocks it at once and durably, ends its call, cuts it off, and
// the technician sees why.
func TestDuressSelfRevocation(t *testing.T) {
	checkGoroutines(t)
	h := newHarness(t, nil)
	devA, devB := h.enroll("pk-0001"), h.enroll("pk-0002")
	h.publish(nil)
	a, b := h.connect(devA, nil), h.connect(devB, nil)
	call := wire.NewCallID()
	a.c.Send(t.Context(), wire.Envelope{Kind: wire.Invite, Call: call, To: "pk-0002"})
	next[*client.Routed](b, noise)

	// A request signed by another device's key is refused and changes nothing.
	forged, err := revocation.NewRequest(devB.Key, "pk-0001", revocation.ReasonDuress, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.c.SelfRevoke(t.Context(), forged); err == nil {
		t.Fatal("request signed with B's key revoked A")
	}
	// One of B's own requests, sent over A's connection, names B: refused.
	hers, _ := revocation.NewRequest(devB.Key, "pk-0002", revocation.ReasonDuress, time.Now())
	if err := a.c.SelfRevoke(t.Context(), hers); err == nil {
		t.Fatal("A revoked B with B's request")
	}
	if f := h.x.Status(); f.Devices[0].Revoked != "" || f.Devices[1].Revoked != "" {
		t.Fatalf("refused requests revoked someone: %+v", f.Devices)
	}

	req, err := revocation.NewRequest(devA.Key, "pk-0001", revocation.ReasonDuress, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.c.SelfRevoke(t.Context(), req); err != nil {
		t.Fatalf("SelfRevoke: %v", err)
	}
	if err := <-a.done; !errors.Is(err, client.ErrRevoked) {
		t.Fatalf("A's Run returned %v, want ErrRevoked", err)
	}
	a.done <- nil
	if ce := next[*client.CallEnded](b, noise); ce.Call != call || ce.Code != wire.CodePeerGone {
		t.Fatalf("B's call ended %+v", ce)
	}
	h.auditHas("self-revoked", revocation.ReasonDuress, "pk-0001")
	f, err := h.adminClient(h.tech).Fleet(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if f.Devices[0].Revoked != "self-revoked: duress" || f.Devices[0].Online {
		t.Fatalf("fleet shows %+v", f.Devices[0])
	}

	// The block survives a restart, until the device is enrolled afresh.
	h.restart()
	_, m, _ := h.dialRaw(devA.TLS())
	if e, ok := m.(*wire.Error); !ok || e.Code != wire.CodeRevoked {
		t.Fatalf("after restart: %#v, want revoked", m)
	}
	fresh := h.fleet.Enroll("pk-0001")
	if _, err := h.adminClient(h.tech).Enroll(t.Context(), fresh.Cert); err != nil {
		t.Fatal(err)
	}
	h.publish(nil) // the directory must list the new certificate
	h.connect(fresh, nil)
}

// A technician's wipe order: delivered to a connected handset at once, to
// an offline one when it connects; the handset's acknowledgement blocks it.
func TestWipeOrders(t *testing.T) {
	checkGoroutines(t)
	h := newHarness(t, nil)
	devA, devB := h.enroll("pk-0001"), h.enroll("pk-0002")
	h.publish(nil)
	api := h.adminClient(h.tech)
	a := h.connect(devA, nil)

	order := func(device string, key *techKey) []byte {
		t.Helper()
		o := &wire.WipeOrder{ID: wire.NewOrderID(), Device: device, Issued: time.Now().Unix(), Technician: key.cert.Raw}
		if err := o.Sign(key.key); err != nil {
			t.Fatal(err)
		}
		b, err := o.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tech := &techKey{cert: h.tech.Leaf, key: signer(h.tech)}

	q, err := api.Wipe(t.Context(), order("pk-0001", tech))
	if err != nil || !q.Delivered || q.Device != "pk-0001" {
		t.Fatalf("wipe online A: %+v %v", q, err)
	}
	w := next[*client.WipeOrdered](a, noise)
	if w.Order.Device != "pk-0001" || w.Technician != "tech-one" || w.Order.ID.String() != q.Order {
		t.Fatalf("wipe ordered %+v", w)
	}
	// While the wipe is pending, A can route nothing.
	if err := a.c.Send(t.Context(), wire.Envelope{Kind: wire.Invite, Call: wire.NewCallID(), To: "pk-0002"}); err != nil {
		t.Fatal(err)
	}
	if r := next[*client.Refused](a, noise); r.Code != wire.CodeWipePending {
		t.Fatalf("refused %+v, want wipe-pending", r)
	}
	if err := a.c.AckWipe(t.Context(), w.Order.ID); err != nil {
		t.Fatal(err)
	}
	if err := <-a.done; !errors.Is(err, client.ErrRevoked) {
		t.Fatalf("A's Run after the wipe: %v", err)
	}
	a.done <- nil
	h.auditHas("wipe-acked", "", "pk-0001")
	if d := h.x.Status().Devices[0]; d.WipePending || d.Revoked != "wiped" {
		t.Fatalf("after the wipe: %+v", d)
	}

	// B is offline: the order waits (across a restart) until it connects.
	q, err = api.Wipe(t.Context(), order("pk-0002", tech))
	if err != nil || q.Delivered {
		t.Fatalf("wipe offline B: %+v %v", q, err)
	}
	h.restart()
	b := h.start1(devB, nil)
	next[*client.Connected](b)
	if w := next[*client.WipeOrdered](b); w.Order.Device != "pk-0002" {
		t.Fatalf("B got %+v", w)
	}
	h.auditHas("wipe-delivered", "", "pk-0002")

	// Orders the exchange refuses: signed by a device key, for an unknown
	// device, tampered, and signed by another technician than the sender.
	devKey := &techKey{cert: devB.Cert, key: devB.Key}
	if _, err := api.Wipe(t.Context(), order("pk-0002", devKey)); !admin.IsCode(err, wire.CodeWrongEKU) {
		t.Fatalf("order signed by a device: %v", err)
	}
	if _, err := api.Wipe(t.Context(), order("pk-0042", tech)); !admin.IsCode(err, admin.CodeNotFound) {
		t.Fatalf("order for an unknown device: %v", err)
	}
	bad := order("pk-0002", tech)
	bad[20] ^= 1
	if _, err := api.Wipe(t.Context(), bad); !admin.IsCode(err, admin.CodeBadSignature) && !admin.IsCode(err, admin.CodeBadRequest) {
		t.Fatalf("tampered order: %v", err)
	}
	other := h.newTechnician("tech-two")
	if _, err := api.Wipe(t.Context(), order("pk-0002", &techKey{cert: other.Leaf, key: signer(other)})); !admin.IsCode(err, admin.CodeForbidden) {
		t.Fatalf("order signed by another technician: %v", err)
	}
}

// The technician API admits only technicians, and shows the audit log.
func TestTechnicianAPIAdmission(t *testing.T) {
	h := newHarness(t, nil)
	dev := h.enroll("pk-0001")
	h.publish(nil)
	for name, cert := range map[string]tlsCert{
		"device certificate":       dev.TLS(),
		"technician of a rogue CA": rogueTechnician(t),
	} {
		_, err := h.adminClient(cert).Fleet(t.Context())
		var ae *admin.Error
		if !errors.As(err, &ae) || ae.Status != 403 {
			t.Fatalf("%s: %v, want 403", name, err)
		}
	}
	h.auditHas("refused", wire.CodeWrongEKU, "pk-0001")
	ev, err := h.adminClient(h.tech).Audit(t.Context(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, e := range ev.Events {
		kinds[e.Kind] = true
	}
	for _, k := range []string{"enrolled", "directory", "revocations", "refused"} {
		if !kinds[k] {
			t.Errorf("audit via API lacks %q events: %+v", k, ev.Events)
		}
	}
	if _, err := h.adminClient(h.tech).Audit(t.Context(), 0, 0); !admin.IsCode(err, admin.CodeBadRequest) {
		t.Fatalf("limit 0: %v", err)
	}
}

// With the publisher key, the exchange signs and pushes a revocation list
// naming the device the moment it revokes itself: every handset learns it
// from a signed list, not from the exchange's word.
func TestDuressBroadcastsSignedRevocation(t *testing.T) {
	var h *harness
	h = newHarness(t, func(c *exchange.Config) {
		if h != nil {
			c.Publisher = &exchange.Publisher{Key: h.fleet.PublisherKey, Cert: h.fleet.PublisherCert}
		}
	})
	h.restart() // now h is set: restart with the publisher
	devA, devB := h.enroll("pk-0001"), h.enroll("pk-0002")
	h.publish(nil)
	a, b := h.connect(devA, nil), h.connect(devB, nil)
	req, _ := revocation.NewRequest(devA.Key, "pk-0001", revocation.ReasonDuress, time.Now())
	if err := a.c.SelfRevoke(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	var l *revocation.List
	for l == nil || l.Version < 2 {
		ru := next[*client.RevocationUpdate](b, noise)
		var err error
		if l, err = revocation.Verify(ru.Bundle, h.fleet.Verifier); err != nil {
			t.Fatalf("pushed list does not verify: %v", err)
		}
	}
	if e, ok := l.Lookup("pk-0001"); !ok || e.Reason != revocation.ReasonDuress || l.Version != 2 {
		t.Fatalf("pushed list version %d, entry %+v", l.Version, e)
	}
	ev := h.auditHas("revocations", "", "")
	if ev.Actor != "exchange" && ev.Actor != "tech-one" {
		t.Fatalf("revocation event %+v", ev)
	}
	if f := h.x.Status(); f.Revocations != 2 {
		t.Fatalf("exchange holds revocation list %d, want 2", f.Revocations)
	}
}

// An exchange with the publisher key re-signs the revocation list before it
// goes stale, keeping its entries.
func TestRevocationListRefreshedBeforeExpiry(t *testing.T) {
	var h *harness
	fake := clock.NewFake(time.Now())
	h = newHarness(t, func(c *exchange.Config) {
		c.Clock = fake
		if h != nil {
			c.Publisher = &exchange.Publisher{Key: h.fleet.PublisherKey, Cert: h.fleet.PublisherCert}
		}
	})
	h.restart()
	h.enroll("pk-0001")
	h.enroll("pk-0002")
	h.publish(nil)
	if _, err := h.x.PublishRevocations(h.fleet.SignRevocations(h.fleet.Revocations("pk-0002")), "tech-one"); err != nil {
		t.Fatal(err)
	}
	// Five days on, the list (valid seven) is not yet due.
	fake.Advance(5 * 24 * time.Hour)
	fake.Advance(time.Minute)
	time.Sleep(200 * time.Millisecond) // let the janitor take its tick
	if v := h.x.Status().Revocations; v != 2 {
		t.Fatalf("refreshed early: version %d", v)
	}
	// Past six days it is due: the janitor's next minute re-signs it.
	fake.Advance(26 * time.Hour)
	fake.Advance(time.Minute)
	deadline := time.Now().Add(wait)
	for h.x.Status().Revocations != 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	f := h.x.Status()
	if f.Revocations != 3 || f.Devices[1].Revoked == "" {
		t.Fatalf("after refresh: version %d, pk-0002 %+v", f.Revocations, f.Devices[1])
	}
	h.auditHas("revocations", "", "")
}
