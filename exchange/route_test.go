package exchange_test

import (
	"strings"
	"testing"
	"time"

	"mehfooz/exchange"
	"mehfooz/exchange/client"
	"mehfooz/exchange/wire"
	"mehfooz/trust/directory"
)

// guests puts pk-0003 in a group nobody may call and that may call nobody.
func guests(d *directory.Directory) {
	for i := range d.Entries {
		if d.Entries[i].ID == "pk-0003" {
			d.Entries[i].Groups = []string{"guests"}
		}
	}
}

// refusedWith waits for the Refused event of call with code.
func refusedWith(t *testing.T, hs *handset, call wire.CallID, code string) {
	t.Helper()
	r := next[*client.Refused](hs, noise)
	if r.Code != code || r.Call != call || r.Re == 0 || r.Reason == "" {
		t.Fatalf("%s: refused %+v, want code %q for call %s", hs.dev.ID, r.Refusal, code, call)
	}
}

func TestRoutingRefusals(t *testing.T) {
	checkGoroutines(t)
	h := newHarness(t, nil)
	devA, devB, devC := h.enroll("pk-0001"), h.enroll("pk-0002"), h.enroll("pk-0003")
	devD := h.enroll("pk-0004")
	h.publish(guests)
	a, b, c := h.connect(devA, nil), h.connect(devB, nil), h.connect(devC, nil)

	// Presence follows the policy: A hears of B, never of C; C hears of nobody.
	for {
		p := next[*client.PresenceUpdate](c, noise)
		if p.Full {
			if len(p.Online) != 0 {
				t.Fatalf("guest C told of %v", p.Online)
			}
			break
		}
	}

	send := func(hs *handset, kind wire.RouteKind, call wire.CallID, to string) {
		t.Helper()
		if err := hs.c.Send(t.Context(), wire.Envelope{Kind: kind, Call: call, To: to, Body: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("not allowed by policy", func(t *testing.T) {
		call := wire.NewCallID()
		send(a, wire.Invite, call, "pk-0003")
		refusedWith(t, a, call, wire.CodeNotAllowed)
		send(c, wire.Invite, call, "pk-0001")
		refusedWith(t, c, call, wire.CodeNotAllowed)
		h.auditHas("refused", wire.CodeNotAllowed, "pk-0001")
	})
	t.Run("calling itself", func(t *testing.T) {
		call := wire.NewCallID()
		send(a, wire.Invite, call, "pk-0001")
		refusedWith(t, a, call, wire.CodeNotAllowed)
	})
	t.Run("offline callee", func(t *testing.T) {
		call := wire.NewCallID()
		send(a, wire.Invite, call, string(devD.ID))
		refusedWith(t, a, call, wire.CodeOffline)
	})
	t.Run("unknown callee", func(t *testing.T) {
		call := wire.NewCallID()
		send(a, wire.Invite, call, "pk-0099")
		refusedWith(t, a, call, wire.CodeNotInDirectory)
	})

	// An open call between A and B.
	call := wire.NewCallID()
	send(a, wire.Invite, call, "pk-0002")
	next[*client.Routed](b, noise)

	t.Run("third party injects into the call", func(t *testing.T) {
		send(c, wire.Candidate, call, "pk-0002")
		refusedWith(t, c, call, wire.CodeNotInCall)
		send(c, wire.Hangup, call, "pk-0001")
		refusedWith(t, c, call, wire.CodeNotInCall)
		h.auditHas("refused", wire.CodeNotInCall, "pk-0003")
	})
	t.Run("party sends to someone else under the call", func(t *testing.T) {
		send(b, wire.Candidate, call, "pk-0003")
		refusedWith(t, b, call, wire.CodeNotInCall)
	})
	t.Run("caller answers its own call", func(t *testing.T) {
		send(a, wire.Answer, call, "pk-0002")
		refusedWith(t, a, call, wire.CodeBadState)
	})
	t.Run("ICE restart before the answer", func(t *testing.T) {
		send(a, wire.RestartOffer, call, "pk-0002")
		refusedWith(t, a, call, wire.CodeBadState)
	})
	t.Run("hold and reveal before the answer", func(t *testing.T) {
		send(a, wire.Hold, call, "pk-0002")
		refusedWith(t, a, call, wire.CodeBadState)
		send(a, wire.Reveal, call, "pk-0002")
		refusedWith(t, a, call, wire.CodeBadState)
	})
	t.Run("second invite under the same call ID", func(t *testing.T) {
		send(a, wire.Invite, call, "pk-0002")
		refusedWith(t, a, call, wire.CodeReplayed)
	})
	send(b, wire.Answer, call, "pk-0001")
	next[*client.Routed](a, noise)
	t.Run("second answer", func(t *testing.T) {
		send(b, wire.Answer, call, "pk-0001")
		refusedWith(t, b, call, wire.CodeBadState)
	})
	t.Run("callee reveals", func(t *testing.T) {
		send(b, wire.Reveal, call, "pk-0001")
		refusedWith(t, b, call, wire.CodeBadState)
	})
	send(b, wire.Hangup, call, "pk-0001")
	next[*client.Routed](a, noise)
	t.Run("replayed invite after hang-up", func(t *testing.T) {
		send(a, wire.Invite, call, "pk-0002")
		refusedWith(t, a, call, wire.CodeReplayed)
		h.auditHas("refused", wire.CodeReplayed, "pk-0001")
	})
	t.Run("message for a closed call", func(t *testing.T) {
		send(a, wire.Candidate, call, "pk-0002")
		refusedWith(t, a, call, wire.CodeNoCall)
	})
	t.Run("a refusal closes the call", func(t *testing.T) {
		id := wire.NewCallID()
		send(a, wire.Invite, id, "pk-0002")
		next[*client.Routed](b, noise)
		send(b, wire.Refuse, id, "pk-0001")
		if r := next[*client.Routed](a, noise); r.Kind != wire.Refuse {
			t.Fatalf("caller got %v, want the refusal", r.Kind)
		}
		send(a, wire.Hangup, id, "pk-0002")
		refusedWith(t, a, id, wire.CodeNoCall)
	})
	t.Run("no TURN relay configured", func(t *testing.T) {
		id := wire.NewCallID()
		if _, err := a.c.TURN(t.Context(), id, "pk-0002"); err == nil {
			t.Fatal("TURN granted without a relay")
		}
	})

	// None of it reached the bystanders: B only saw what A and B exchanged,
	// C saw nothing routed at all.
	b.quiet(50 * time.Millisecond)
	c.quiet(50 * time.Millisecond)
}

func TestSpoofedSenderCutOff(t *testing.T) {
	h := newHarness(t, nil)
	devA, devB := h.enroll("pk-0001"), h.enroll("pk-0002")
	h.publish(nil)
	b := h.connect(devB, nil)
	rc, m, err := h.dialRaw(devA.TLS())
	if err != nil || m.Kind() != wire.KindWelcome {
		t.Fatalf("A not admitted: %v %v", m, err)
	}
	// Hand-encode a Route with From set to B (wire.Append refuses to).
	frame := []byte{0, 0, 0, 0, wire.Version, byte(wire.KindRoute), 0, 0, 0, 0, 0, 0, 0, 2}
	call := wire.NewCallID()
	frame = append(frame, byte(wire.Invite))
	frame = append(frame, call[:]...)
	frame = append(frame, 0, 7)
	frame = append(frame, "pk-0002"...)
	frame = append(frame, 0, 7)
	frame = append(frame, "pk-0002"...)
	frame = append(frame, 0, 0, 0, 0)
	n := len(frame) - 4
	frame[0], frame[1], frame[2], frame[3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	if _, err := rc.tc.Write(frame); err != nil {
		t.Fatal(err)
	}
	e := until[*wire.Error](rc)
	if e.Code != wire.CodeSpoofedSender {
		t.Fatalf("error %+v, want spoofed-sender", e)
	}
	h.auditHas("refused", wire.CodeSpoofedSender, "pk-0001")
	b.quiet(50 * time.Millisecond)
}

func TestMalformedAndReplayedFramesCutOff(t *testing.T) {
	h := newHarness(t, nil)
	devA, devB := h.enroll("pk-0001"), h.enroll("pk-0002")
	h.publish(nil)
	b := h.connect(devB, nil)
	for _, tc := range []struct {
		name  string
		frame func(w *wire.Writer) []byte
		want  string
	}{
		{"unknown kind", func(*wire.Writer) []byte { return []byte{0, 0, 0, 10, 1, 0x7f, 0, 0, 0, 0, 0, 0, 0, 2} }, "unknown message kind"},
		{"replayed sequence number", func(*wire.Writer) []byte {
			return []byte{0, 0, 0, 18, 1, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9}
		}, "out of sequence"},
		{"exchange's kind", func(*wire.Writer) []byte {
			return []byte{0, 0, 0, 18, 1, 0x82, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9}
		}, "direction"},
		{"oversize", func(*wire.Writer) []byte { return []byte{0, 1, 0, 0} }, "size cap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc, m, err := h.dialRaw(devA.TLS())
			if err != nil || m.Kind() != wire.KindWelcome {
				t.Fatalf("not admitted: %v %v", m, err)
			}
			rc.tc.Write(tc.frame(rc.w))
			e := until[*wire.Error](rc)
			if e.Code != wire.CodeMalformed || !contains(e.Reason, tc.want) {
				t.Fatalf("error %+v, want malformed mentioning %q", e, tc.want)
			}
			if _, err := rc.read(); err == nil {
				t.Fatal("connection open after a malformed frame")
			}
		})
	}
	h.auditHas("refused", wire.CodeMalformed, "pk-0001")
	// B saw A come and go, nothing else.
	b.quiet(50 * time.Millisecond)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func TestRateLimitPerDevice(t *testing.T) {
	h := newHarness(t, func(c *exchange.Config) { c.Rate, c.Burst = 1, 5 })
	devA, devB := h.enroll("pk-0001"), h.enroll("pk-0002")
	h.publish(nil)
	a := h.connect(devA, nil)
	b := h.connect(devB, nil)
	call := wire.NewCallID()
	if err := a.c.Send(t.Context(), wire.Envelope{Kind: wire.Invite, Call: call, To: "pk-0002"}); err != nil {
		t.Fatal(err)
	}
	next[*client.Routed](b, noise)
	for range 20 {
		a.c.Send(t.Context(), wire.Envelope{Kind: wire.Candidate, Call: call, To: "pk-0002", Body: []byte("c")})
	}
	r := next[*client.Refused](a, noise)
	if r.Code != wire.CodeRateLimited {
		t.Fatalf("refused %+v, want rate-limited", r)
	}
	got := 0
	deadline := time.After(300 * time.Millisecond)
loop:
	for {
		select {
		case e := <-b.ev:
			if _, ok := e.(*client.Routed); ok {
				got++
			}
		case <-deadline:
			break loop
		}
	}
	if got >= 20 || got < 3 {
		t.Fatalf("B received %d of 20 candidates; the bucket (burst 5) should pass a few and drop the rest", got)
	}
	h.auditHas("refused", wire.CodeRateLimited, "pk-0001")
}
