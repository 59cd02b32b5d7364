package voice

import (
	"testing"
	"time"
)

// TestICERestartSurvivesNewBearer: alice's data bearer changes (her old
// address stops working), the daemon says so, and the call carries on over a
// new TURN allocation without a new DTLS handshake or new keys.
func TestICERestartSurvivesNewBearer(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice, bob := w.handset(t, "alice"), w.handset(t, "bob")
	sa, _ := connect(t, alice, bob)
	bob.awaitFrames(t, 10)
	alice.awaitFrames(t, 10)

	w.relay.cut("alice")
	time.Sleep(200 * time.Millisecond)
	nb, na := len(bob.frames()), len(alice.frames())
	alice.phone.BearerChanged()
	bob.awaitFrames(t, nb+25)
	alice.awaitFrames(t, na+25)

	for _, h := range []*handset{alice, bob} {
		s := h.phone.State()
		if s.Phase != PhaseConnected || s.SAS != sa.SAS {
			t.Fatalf("%s after the restart: %s, SAS %q (was %q)", h.id, s.Phase, s.SAS, sa.SAS)
		}
		if _, bad := h.media.last().received(); bad != 0 {
			t.Fatalf("%s: %d corrupted frames", h.id, bad)
		}
	}
	if n := w.relay.allocations("alice"); n < 2 {
		t.Fatalf("alice made %d TURN allocations, want a new one", n)
	}
}

// TestICERestartWithoutNotice: bob's bearer changes and nobody tells his
// Phone; alice's consent checks stop coming back, she restarts ICE herself,
// and the call recovers.
func TestICERestartWithoutNotice(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice, bob := w.handset(t, "alice"), w.handset(t, "bob")
	connect(t, alice, bob)
	alice.awaitFrames(t, 10)
	w.relay.cut("bob")
	time.Sleep(200 * time.Millisecond)
	na := len(alice.frames())
	alice.awaitFrames(t, na+25) // after ICE's 3 s disconnection timeout and the restart
	bob.awaitFrames(t, len(bob.frames())+25)
	if s := alice.phone.State(); s.Phase != PhaseConnected {
		t.Fatalf("alice after the outage: %s", s.Phase)
	}
	if n := w.relay.allocations("bob"); n < 2 {
		t.Fatalf("bob made %d TURN allocations, want a new one", n)
	}
}
