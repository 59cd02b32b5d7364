package exchange_test

import (
	"bytes"
	"crypto/tls"
	"slices"
	"testing"
	"time"

	"mehfooz/exchange/client"
	"mehfooz/exchange/wire"
)

func TestEnrolledPairSignals(t *testing.T) {
	checkGoroutines(t)
	h := newHarness(t, nil)
	devA, devB := h.enroll("pk-0001"), h.enroll("pk-0002")
	h.publish(nil)

	a := h.connect(devA, nil)
	if got := a.c.State(); got.Group != tls.SecP384r1MLKEM1024 || got.Device != "pk-0001" {
		t.Fatalf("A state %+v, want SecP384r1MLKEM1024 as pk-0001", got)
	}
	b := h.start1(devB, nil)
	cb := b.expectConnected()
	if cb.Group != tls.SecP384r1MLKEM1024 || cb.Directory != 1 || cb.Revocations != 1 {
		t.Fatalf("B connected %+v", cb)
	}
	// B learns A is online (full update); A learns B came online.
	for {
		p := next[*client.PresenceUpdate](b, noise)
		if p.Full && slices.Equal(p.Online, []string{"pk-0001"}) {
			break
		}
	}
	for {
		p := next[*client.PresenceUpdate](a, noise)
		if !p.Full && slices.Equal(p.Online, []string{"pk-0002"}) {
			break
		}
	}

	call := wire.NewCallID()
	send := func(from *handset, kind wire.RouteKind, to string, body string) {
		t.Helper()
		if err := from.c.Send(t.Context(), wire.Envelope{Kind: kind, Call: call, To: to, Body: []byte(body)}); err != nil {
			t.Fatalf("%s sends %v: %v", from.dev.ID, kind, err)
		}
	}
	recv := func(at *handset, kind wire.RouteKind, from string, body string) {
		t.Helper()
		r := next[*client.Routed](at, noise)
		if r.Kind != kind || r.Call != call || r.From != from || r.To != string(at.dev.ID) || !bytes.Equal(r.Body, []byte(body)) {
			t.Fatalf("%s got %v %s from %s to %s body %q; want %v from %s body %q", at.dev.ID, r.Kind, r.Call, r.From, r.To, r.Body, kind, from, body)
		}
	}
	send(a, wire.Invite, "pk-0002", "signed offer")
	recv(b, wire.Invite, "pk-0001", "signed offer")
	send(b, wire.Ringing, "pk-0001", "")
	recv(a, wire.Ringing, "pk-0002", "")
	send(b, wire.Answer, "pk-0001", "signed answer")
	recv(a, wire.Answer, "pk-0002", "signed answer")
	send(a, wire.Candidate, "pk-0002", "candidate a")
	recv(b, wire.Candidate, "pk-0001", "candidate a")
	send(b, wire.Candidate, "pk-0001", "candidate b")
	recv(a, wire.Candidate, "pk-0002", "candidate b")
	send(a, wire.Reveal, "pk-0002", "sas nonce")
	recv(b, wire.Reveal, "pk-0001", "sas nonce")
	send(b, wire.Hold, "pk-0001", "hold")
	recv(a, wire.Hold, "pk-0002", "hold")
	send(b, wire.RestartOffer, "pk-0001", "restart offer")
	recv(a, wire.RestartOffer, "pk-0002", "restart offer")
	send(a, wire.RestartAnswer, "pk-0002", "restart answer")
	recv(b, wire.RestartAnswer, "pk-0001", "restart answer")
	send(a, wire.Hangup, "pk-0002", "bye")
	recv(b, wire.Hangup, "pk-0001", "bye")

	// Fleet status: both online, with the negotiated group, and no call
	// left open.
	f := h.x.Status()
	if len(f.Devices) != 2 || f.OpenCalls != 0 {
		t.Fatalf("fleet %+v", f)
	}
	for _, d := range f.Devices {
		if !d.Online || d.Group != "SecP384r1MLKEM1024" || !d.Listed || d.Revoked != "" || d.Software != "test" {
			t.Fatalf("fleet device %+v", d)
		}
	}
	// A disconnects: B sees it go offline, and the fleet remembers when.
	a.stop()
	for {
		p := next[*client.PresenceUpdate](b, noise)
		if slices.Equal(p.Offline, []string{"pk-0001"}) {
			break
		}
	}
	deadline := time.Now().Add(wait)
	for h.x.Status().Devices[0].Online && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if d := h.x.Status().Devices[0]; d.Online || d.LastSeen.IsZero() {
		t.Fatalf("after A left: %+v", d)
	}
}

func TestX25519HybridWhenHandsetOffersIt(t *testing.T) {
	h := newHarness(t, nil)
	dev := h.enroll("pk-0001")
	h.publish(nil)
	hs := h.connect(dev, func(c *client.Config) { c.Groups = []tls.CurveID{tls.X25519MLKEM768} })
	if g := hs.c.State().Group; g != tls.X25519MLKEM768 {
		t.Fatalf("group %v, want X25519MLKEM768", g)
	}
	if d := h.x.Status().Devices[0]; d.Group != "X25519MLKEM768" {
		t.Fatalf("fleet shows group %q", d.Group)
	}
}
