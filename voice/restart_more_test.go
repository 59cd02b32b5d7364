package voice

import (
	"sync/atomic"
	"testing"
	"time"
)

// The relay is out of reach for a moment right after alice's bearer
// changes (the new bearer is up, the TURN server not yet reachable): her
// restart gather finds no relay candidate. When the relay is back and the
// daemon reports the bearer again, the call should recover.
func TestICERestartAfterAGatherThatFoundNoRelay(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice, bob := w.handset(t, "alice"), w.handset(t, "bob")
	connect(t, alice, bob)
	bob.awaitFrames(t, 10)
	alice.awaitFrames(t, 10)

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
	w := newWorld(t)
	var bsig *lossySignaling
	alice := w.handset(t, "alice")
	bob := w.handset(t, "bob", func(c *Config) { bsig = &lossySignaling{Signaling: c.Signaling}; c.Signaling = bsig })
	connect(t, alice, bob)
	bob.awaitFrames(t, 10)
	alice.awaitFrames(t, 10)

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
	w := newWorld(t)
	alice, bob := w.handset(t, "alice"), w.handset(t, "bob")
	connect(t, alice, bob)
	bob.awaitFrames(t, 10)
	alice.awaitFrames(t, 10)

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
