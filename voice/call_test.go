package voice

import (
	"testing"
	"time"

	"mehfooz/voice/internal/wipe"
)

// TestCall is the whole call over loopback with a real TURN relay: the call
// connects relay-only, frames flow both ways through both layers, both
// screens show the same SAS, and hang-up ends both sides and erases every
// secret.
func TestCall(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice, bob := w.handset(t, "alice"), w.handset(t, "bob")

	sa, sb := connect(t, alice, bob)
	if sa.SAS == "" || sa.SAS != sb.SAS {
		t.Fatalf("SAS alice %q, bob %q: want equal and shown", sa.SAS, sb.SAS)
	}
	if sa.CallID != sb.CallID || !sa.Outgoing || sb.Outgoing || sa.PeerID != "bob" || sb.PeerID != "alice" {
		t.Fatalf("states do not describe one call: %+v / %+v", sa, sb)
	}
	alice.awaitFrames(t, 25)
	bob.awaitFrames(t, 25)

	// Keep hold of every secret before hang-up, to look at it afterwards.
	ca, cb := callOf(t, alice), callOf(t, bob)

	if err := alice.phone.HangUp(); err != nil {
		t.Fatal(err)
	}
	alice.awaitEnd(t, "hung-up")
	bob.awaitEnd(t, "remote-hung-up")
	for _, h := range []*handset{alice, bob} {
		got, bad := h.media.last().received()
		if bad != 0 {
			t.Errorf("%s: %d frames arrived corrupted", h.id, bad)
		}
		for i := 1; i < len(got); i++ {
			if got[i] <= got[i-1] {
				t.Errorf("%s: frame %d after %d", h.id, got[i], got[i-1])
				break
			}
		}
	}
	alice.phone.teardowns.Wait()
	bob.phone.teardowns.Wait()
	for _, c := range []*call{ca, cb} {
		checkErased(t, c)
	}
}

// callOf returns the handset's current call, read on the Phone's goroutine.
func callOf(t testing.TB, h *handset) *call {
	t.Helper()
	var c *call
	if err := h.phone.do(func() error { c = h.phone.call; return nil }); err != nil || c == nil {
		t.Fatalf("%s: no call (%v)", h.id, err)
	}
	return c
}

// checkErased fails unless every secret of c is zero.
func checkErased(t *testing.T, c *call) {
	t.Helper()
	k := &c.keys
	for name, b := range map[string][]byte{
		"ML-KEM shared secret": k.kemSecret, "our SAS nonce": k.myNonce, "peer SAS nonce": k.peerNonce,
		"pseudorandom key": k.prk, "DTLS binding": c.peer.bind.value,
	} {
		if len(b) == 0 && name != "ML-KEM shared secret" && name != "pseudorandom key" {
			t.Errorf("%s: %s was never set", c.idHex(), name)
		}
		for _, x := range b {
			if x != 0 {
				t.Errorf("%s: %s not zeroized: %x", c.idHex(), name, b)
				break
			}
		}
	}
	if !k.sealer.Erased() || !k.opener.Erased() {
		t.Errorf("%s: frame keys not zeroized", c.idHex())
	}
	if c.outgoing {
		if z, err := wipe.IsZero(k.dk); err != nil || !z {
			t.Errorf("%s: ML-KEM decapsulation key not zeroized (%v)", c.idHex(), err)
		}
	}
}

var _ = time.Second
