package voice

import (
	"sync"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/voice/setup"
)

// settle returns once the Phone has handled everything posted so far.
func (h *handset) settle(t *testing.T) {
	t.Helper()
	if err := h.phone.do(func() error { return nil }); err != nil {
		t.Fatal(err)
	}
}

// TestDialTimeout: the invite goes out but the callee's handset never
// acknowledges it (its daemon hangs): after Timeouts.Dial the caller gives up.
func TestDialTimeout(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	clk := clock.NewFake(time.Now())
	alice := w.handset(t, "alice", func(c *Config) { c.Clock = clk })
	w.dir.Add(w.ca.Device(t, "bob"))
	w.sw.Port("bob") // connected to the exchange, never reading
	var once sync.Once
	invited := make(chan struct{})
	w.sw.Tamper = func(_, _ string, msg []byte) [][]byte {
		if m, _, err := setup.Peek(msg); err == nil && m.Kind == setup.KindInvite {
			once.Do(func() { close(invited) })
		}
		return [][]byte{msg}
	}
	if err := alice.phone.Dial("bob"); err != nil {
		t.Fatal(err)
	}
	<-invited
	alice.settle(t)
	clk.Advance(10*time.Second - time.Millisecond)
	alice.settle(t)
	if s := alice.phone.State(); s.Phase != PhaseDialing {
		t.Fatalf("before the timeout: %s", s.Phase)
	}
	clk.Advance(time.Millisecond)
	alice.awaitEnd(t, "unreachable")
}

// TestRevealTimeout: a caller that never reveals its committed SAS nonce is
// refused once Timeouts.Reveal has passed; the callee never shows a code.
func TestRevealTimeout(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	clk := clock.NewFake(time.Now())
	alice := w.handset(t, "alice", func(c *Config) { c.test.noReveal = true })
	bob := w.handset(t, "bob", func(c *Config) { c.Clock = clk })
	if err := alice.phone.Dial("bob"); err != nil {
		t.Fatal(err)
	}
	bob.awaitPhase(t, PhaseIncoming)
	if err := bob.phone.Answer(); err != nil {
		t.Fatal(err)
	}
	bob.awaitPhase(t, PhaseConnected)
	bob.awaitFrames(t, 3) // audio flows while the code is pending
	bob.settle(t)
	clk.Advance(10 * time.Second)
	s := bob.awaitEnd(t, "security: "+string(CheckCommitment))
	if s.SAS != "" {
		t.Fatalf("bob showed a code without the reveal: %q", s.SAS)
	}
	alice.awaitEnd(t, "security (peer): "+string(CheckCommitment))
}
