package exchange_test

import (
	"sync/atomic"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/exchange/client"
	"mehfooz/exchange/wire"
)

// The exchange restarts: the handsets, on their own clocks, back off with
// growing jittered delays while it is down, reconnect when it is back, can
// call each other again, and the exchange has kept every enrolled device,
// bundle and block.
func TestRestartHandsetsReconnect(t *testing.T) {
	checkGoroutines(t)
	h := newHarness(t, nil)
	h.enroll("pk-0001")
	h.enroll("pk-0002")
	h.enroll("pk-0003")
	h.publish(nil)
	if _, err := h.x.PublishRevocations(h.fleet.SignRevocations(h.fleet.Revocations("pk-0003")), "tech-one"); err != nil {
		t.Fatal(err)
	}
	before := h.x.Status()

	type clocked struct {
		hs  *handset
		clk *clock.Fake
	}
	var jitters atomic.Int64
	start := func(dev string) clocked {
		fc := clock.NewFake(time.Now())
		hs := h.start1(h.fleet.Devices[trustID(dev)], func(c *client.Config) {
			c.Clock = fc
			c.MinBackoff, c.MaxBackoff = time.Second, 8*time.Second
			c.Jitter = func(n int64) int64 { jitters.Add(1); return n / 3 }
		})
		hs.expectConnected()
		return clocked{hs, fc}
	}
	a, b := start("pk-0001"), start("pk-0002")

	h.stop()
	// Each failed attempt doubles the delay (1s, 2s, 4s, 8s, 8s), jittered
	// into [d/2, d): with Jitter returning a third of the range, d/2 + d/6.
	want := []time.Duration{1, 2, 4, 8, 8}
	for i, w := range want {
		d := next[*client.Disconnected](a.hs, noise)
		full := w * time.Second
		if exp := full/2 + (full-full/2)/3; d.Retry != exp {
			t.Fatalf("attempt %d: retry %v, want %v (d=%v jittered)", i, d.Retry, exp, full)
		}
		if d.Err == nil {
			t.Fatalf("attempt %d: no error", i)
		}
		if !a.clk.BlockUntil(1, t.Context().Done()) {
			t.Fatal("no backoff timer armed")
		}
		a.clk.Advance(d.Retry)
	}
	if jitters.Load() == 0 {
		t.Fatal("jitter never drawn")
	}

	h.start()
	// B has been waiting on its first backoff all along; A is mid-way.
	for _, c := range []clocked{a, b} {
		for {
			if !c.clk.BlockUntil(1, t.Context().Done()) {
				t.Fatal("no timer armed")
			}
			c.clk.Advance(8 * time.Second)
			select {
			case e := <-c.hs.ev:
				if _, ok := e.(*client.Connected); ok {
					goto connected
				}
			case <-time.After(200 * time.Millisecond):
			}
		}
	connected:
	}
	// Reachable again: A calls B.
	call := wire.NewCallID()
	if err := a.hs.c.Send(t.Context(), wire.Envelope{Kind: wire.Invite, Call: call, To: "pk-0002", Body: []byte("offer")}); err != nil {
		t.Fatal(err)
	}
	if r := next[*client.Routed](b.hs, noise); r.From != "pk-0001" || r.Call != call {
		t.Fatalf("after restart B got %+v", r)
	}

	after := h.x.Status()
	if len(after.Devices) != len(before.Devices) || after.Directory != before.Directory || after.Revocations != before.Revocations {
		t.Fatalf("restart lost state: before %+v after %+v", before, after)
	}
	if after.Devices[2].Revoked == "" {
		t.Fatalf("restart forgot the revocation of pk-0003: %+v", after.Devices[2])
	}
	// The revoked device is still refused.
	_, m, _ := h.dialRaw(h.fleet.Devices["pk-0003"].TLS())
	if e, ok := m.(*wire.Error); !ok || e.Code != wire.CodeRevoked {
		t.Fatalf("revoked device after restart: %#v", m)
	}
}
