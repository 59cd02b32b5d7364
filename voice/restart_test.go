package voice

import (
	"context"
	"errors"
	"sync/atomic"
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

// lossySignaling fails (down) or silently loses (lose) every message while
// set, as a link to the exchange does over a bearer that just changed.
type lossySignaling struct {
	Signaling
	down, lose atomic.Bool
}

func (s *lossySignaling) Send(ctx context.Context, to string, msg []byte) error {
	switch {
	case s.down.Load():
		return errors.New("exchange link down")
	case s.lose.Load():
		return nil
	}
	return s.Signaling.Send(ctx, to, msg)
}

// TestICERestartWhileSignalingIsDown: the bearer changes and the daemon
// says so at once, while the link to the exchange is still down (the
// offer cannot be sent) or still looks up (the offer is written into a
// dead connection and lost). When the link is back, the restart is tried
// again and the call recovers.
func TestICERestartWhileSignalingIsDown(t *testing.T) {
	for _, mode := range []string{"send fails", "offer lost"} {
		t.Run(mode, func(t *testing.T) {
			checkGoroutines(t)
			sig := &lossySignaling{}
			w, alice, bob := talking(t, sig, nil)

			w.relay.cut("alice")
			flag := &sig.down
			if mode == "offer lost" {
				flag = &sig.lose
			}
			flag.Store(true)
			alice.phone.BearerChanged()
			time.Sleep(500 * time.Millisecond)
			flag.Store(false)
			nb, na := len(bob.frames()), len(alice.frames())
			bob.awaitFramesWithin(t, nb+25, 45*time.Second)
			alice.awaitFramesWithin(t, na+25, 45*time.Second)
			if s := alice.phone.State(); s.Phase != PhaseConnected {
				t.Fatalf("alice after the outage: %s", s.Phase)
			}
		})
	}
}

// TestICERestartOnTheCalleesBearer: bob (the callee) gets a new bearer;
// he asks alice for the restart, and the call recovers.
func TestICERestartOnTheCalleesBearer(t *testing.T) {
	checkGoroutines(t)
	w, alice, bob := talking(t, nil, nil)
	w.relay.cut("bob")
	time.Sleep(200 * time.Millisecond)
	nb, na := len(bob.frames()), len(alice.frames())
	bob.phone.BearerChanged()
	bob.awaitFrames(t, nb+25)
	alice.awaitFrames(t, na+25)
	if n := w.relay.allocations("bob"); n < 2 {
		t.Fatalf("bob made %d TURN allocations, want a new one", n)
	}
}

// TestICERestartBothBearersAtOnce: both handsets' bearers change at the
// same moment and both daemons say so. Two offers at once would deadlock
// (pion cannot roll one back); the callee asks instead, and the call
// recovers.
func TestICERestartBothBearersAtOnce(t *testing.T) {
	checkGoroutines(t)
	w, alice, bob := talking(t, nil, nil)
	w.relay.cut("alice")
	w.relay.cut("bob")
	time.Sleep(200 * time.Millisecond)
	nb, na := len(bob.frames()), len(alice.frames())
	alice.phone.BearerChanged()
	bob.phone.BearerChanged()
	bob.awaitFrames(t, nb+25)
	alice.awaitFrames(t, na+25)
}

// TestICERestartRequestIsHeard: bob reports a new bearer while the old
// path still works, so nothing but his request can make alice restart:
// she does, and bob gathers a new relay allocation.
func TestICERestartRequestIsHeard(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice, bob := w.handset(t, "alice"), w.handset(t, "bob")
	connect(t, alice, bob)
	bob.awaitFrames(t, 10)
	made := w.relay.allocations("bob")
	bob.phone.BearerChanged()
	deadline := time.Now().Add(20 * time.Second)
	for w.relay.allocations("bob") <= made {
		if time.Now().After(deadline) {
			t.Fatalf("bob's restart request made no restart: %d TURN allocations, had %d", w.relay.allocations("bob"), made)
		}
		time.Sleep(20 * time.Millisecond)
	}
	nb := len(bob.frames())
	bob.awaitFrames(t, nb+25)
}

// TestICERestartRequestSentAgain: bob's request cannot be sent (his link
// to the exchange is down) while his old path still carries media; it is
// sent again once the link is back, and alice restarts.
func TestICERestartRequestSentAgain(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	var sig *lossySignaling
	alice := w.handset(t, "alice")
	bob := w.handset(t, "bob", func(c *Config) { sig = &lossySignaling{Signaling: c.Signaling}; c.Signaling = sig })
	connect(t, alice, bob)
	bob.awaitFrames(t, 10)
	made := w.relay.allocations("bob")
	sig.down.Store(true)
	bob.phone.BearerChanged()
	time.Sleep(500 * time.Millisecond)
	sig.down.Store(false)
	deadline := time.Now().Add(30 * time.Second)
	for w.relay.allocations("bob") <= made {
		if time.Now().After(deadline) {
			t.Fatalf("bob's unsent request was never sent again: %d TURN allocations, had %d", w.relay.allocations("bob"), made)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The relay is out of reach for a moment right after alice's bearer
// changes (the new bearer is up, the TURN server not yet reachable): her
// restart gather finds no relay candidate. When the relay is back and the
// daemon reports the bearer again, the call should recover.
func TestICERestartAfterAGatherThatFoundNoRelay(t *testing.T) {
	checkGoroutines(t)
	w, alice, bob := talking(t, nil, nil)

	var drop atomic.Bool
	w.relay.udp.mu.Lock()
	w.relay.udp.impair = func([]byte) bool { return drop.Load() }
	w.relay.udp.mu.Unlock()
	w.relay.cut("alice")
	drop.Store(true)
	alice.phone.BearerChanged()
	time.Sleep(8 * time.Second) // the gather gives up
	drop.Store(false)
	alice.phone.BearerChanged() // the bearer is reported again (or bob asks)
	nb := len(bob.frames())
	bob.awaitFramesWithin(t, nb+25, 30*time.Second)
}

// alice's bearer changes; bob answers her restart offer, but his answer is
// lost because his own bearer changes right then (his relay allocation and
// his exchange link both go). He reports his new bearer and asks for a
// restart; the call should recover.
func TestICERestartCalleeBearerChangesAfterAnswering(t *testing.T) {
	checkGoroutines(t)
	bsig := &lossySignaling{}
	w, alice, bob := talking(t, nil, bsig)

	bsig.lose.Store(true)
	w.relay.cut("alice")
	made := w.relay.allocations("bob")
	alice.phone.BearerChanged()
	for w.relay.allocations("bob") == made {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Second) // bob's answer went into his dead link
	w.relay.cut("bob")
	bsig.lose.Store(false)
	bob.phone.BearerChanged()
	nb := len(bob.frames())
	bob.awaitFramesWithin(t, nb+25, 40*time.Second)
}

// Both handsets lose the relay for 11 s (the caller in a coverage gap,
// same address after it). Consent fails at 3 s, the caller restarts ICE
// with no network, its gather fails; when the network is back the call
// should carry on (pion alone would have: its failed timeout is 18 s).
func TestICERestartAfterACoverageGap(t *testing.T) {
	checkGoroutines(t)
	w, _, bob := talking(t, nil, nil)

	var drop atomic.Bool
	w.relay.udp.mu.Lock()
	w.relay.udp.impair = func([]byte) bool { return drop.Load() }
	w.relay.udp.mu.Unlock()
	drop.Store(true)
	time.Sleep(11 * time.Second)
	drop.Store(false)
	nb := len(bob.frames())
	bob.awaitFramesWithin(t, nb+25, 30*time.Second)
}

// talking connects alice (the caller) to bob and waits for speech both
// ways. A non-nil lossySignaling wraps that handset's signaling.
func talking(t *testing.T, aliceSig, bobSig *lossySignaling) (*world, *handset, *handset) {
	t.Helper()
	w := newWorld(t)
	wrap := func(ls *lossySignaling) func(*Config) {
		return func(c *Config) {
			if ls != nil {
				ls.Signaling, c.Signaling = c.Signaling, ls
			}
		}
	}
	alice, bob := w.handset(t, "alice", wrap(aliceSig)), w.handset(t, "bob", wrap(bobSig))
	connect(t, alice, bob)
	bob.awaitFrames(t, 10)
	alice.awaitFrames(t, 10)
	return w, alice, bob
}
