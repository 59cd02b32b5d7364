package voice

import (
	"errors"
	"testing"
	"time"
)

func TestBusyWhileInACall(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice, bob, carol := w.handset(t, "alice"), w.handset(t, "bob"), w.handset(t, "carol")
	connect(t, alice, bob)
	if err := carol.phone.Dial("bob"); err != nil {
		t.Fatal(err)
	}
	carol.awaitEnd(t, "busy")
	// The call in progress did not notice.
	n := len(alice.frames())
	alice.awaitFrames(t, n+10)
	if s := bob.phone.State(); s.Phase != PhaseConnected || s.PeerID != "alice" {
		t.Fatalf("bob after call waiting: %+v", s)
	}
	if err := bob.phone.Dial("carol"); !errors.Is(err, ErrBusy) {
		t.Fatalf("second Dial: %v, want ErrBusy", err)
	}
}

func TestDeclined(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice, bob := w.handset(t, "alice"), w.handset(t, "bob")
	if err := alice.phone.Dial("bob"); err != nil {
		t.Fatal(err)
	}
	bob.awaitPhase(t, PhaseIncoming)
	alice.awaitPhase(t, PhaseRinging)
	if err := bob.phone.Decline(); err != nil {
		t.Fatal(err)
	}
	bob.awaitEnd(t, "declined")
	alice.awaitEnd(t, "declined")
	if err := bob.phone.Answer(); !errors.Is(err, ErrNoCall) {
		t.Fatalf("Answer after decline: %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice := w.handset(t, "alice")
	dave := w.ca.Device(t, "dave") // enrolled and whitelisted, but his handset is off
	w.dir.Add(dave)
	if err := alice.phone.Dial("dave"); err != nil {
		t.Fatal(err)
	}
	alice.awaitEnd(t, "unreachable")
	if err := alice.phone.Dial("eve"); err == nil {
		t.Fatal("dialled a device the directory does not list")
	}
}

func TestNoAnswer(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	short := func(c *Config) { c.Timeouts.Answer = 300 * time.Millisecond }
	alice, bob := w.handset(t, "alice", short), w.handset(t, "bob", func(c *Config) { c.Timeouts.Answer = time.Minute })
	if err := alice.phone.Dial("bob"); err != nil {
		t.Fatal(err)
	}
	bob.awaitPhase(t, PhaseIncoming)
	alice.awaitEnd(t, "no-answer")
	bob.awaitEnd(t, "no-answer")
}

func TestCallerCancelsWhileRinging(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice, bob := w.handset(t, "alice"), w.handset(t, "bob")
	if err := alice.phone.Dial("bob"); err != nil {
		t.Fatal(err)
	}
	bob.awaitPhase(t, PhaseIncoming)
	if err := alice.phone.HangUp(); err != nil {
		t.Fatal(err)
	}
	alice.awaitEnd(t, "hung-up")
	bob.awaitEnd(t, "remote-hung-up")
}

func TestSASMismatchEndsBothWithAlarm(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice, bob := w.handset(t, "alice"), w.handset(t, "bob")
	connect(t, alice, bob)
	if err := alice.phone.ConfirmSAS(true); err != nil {
		t.Fatal(err)
	}
	alice.await(t, "verdict", func(s State) bool { return s.Verdict == VerdictMatch })
	if err := bob.phone.ConfirmSAS(false); err != nil {
		t.Fatal(err)
	}
	sb := bob.awaitEnd(t, "security: "+string(CheckSASMismatch))
	sa := alice.awaitEnd(t, "security (peer): "+string(CheckSASMismatch))
	if !sa.Alarm || !sb.Alarm || sb.Verdict != VerdictMismatch {
		t.Fatalf("alarm alice %v bob %v, bob verdict %q", sa.Alarm, sb.Alarm, sb.Verdict)
	}
}

func TestHold(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice, bob := w.handset(t, "alice"), w.handset(t, "bob")
	connect(t, alice, bob)
	bob.awaitFrames(t, 5)
	if err := alice.phone.Hold(true); err != nil {
		t.Fatal(err)
	}
	alice.awaitPhase(t, PhaseOnHold)
	s := bob.awaitPhase(t, PhaseOnHold)
	if !s.RemoteHold || s.LocalHold {
		t.Fatalf("bob's view of the hold: %+v", s)
	}
	// Frames keep flowing on the wire (same size and rate) but none reaches
	// bob's audio while alice holds.
	time.Sleep(200 * time.Millisecond)
	held := len(bob.frames())
	sentBefore := alice.phone.State().Quality.FramesSent
	time.Sleep(300 * time.Millisecond)
	if got := len(bob.frames()); got != held {
		t.Fatalf("bob's audio got %d frames during hold", got-held)
	}
	if err := alice.phone.Hold(false); err != nil {
		t.Fatal(err)
	}
	alice.awaitPhase(t, PhaseConnected)
	bob.awaitPhase(t, PhaseConnected)
	bob.awaitFrames(t, held+10)
	if sent := alice.await(t, "stats", func(s State) bool { return s.Quality.FramesSent > sentBefore+15 }); sent.Phase != PhaseConnected {
		t.Fatalf("alice %s", sent.Phase)
	}
}

// TestStats: RTCP reports give the RTT and loss, the receive side the
// jitter, and the bit rate is the 24 kbit/s of the test frames.
func TestStats(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice, bob := w.handset(t, "alice"), w.handset(t, "bob")
	connect(t, alice, bob)
	s := alice.await(t, "an RTT", func(s State) bool { return s.Quality.RTT > 0 && s.Quality.FramesReceived > 0 })
	q := s.Quality
	if q.RTT > 200*time.Millisecond || q.LossPct > 5 || q.JitterMs < 0 || q.JitterMs > 50 {
		t.Fatalf("implausible loopback quality %+v", q)
	}
	// 60-byte frames every 20 ms are 24 kbit/s; a loaded test machine may
	// send fewer, never more.
	if q.BitrateKbps <= 0 || q.BitrateKbps > 26 {
		t.Fatalf("bit rate %.1f kbit/s, want at most about 24", q.BitrateKbps)
	}
	if q.FramesRejected != 0 {
		t.Fatalf("%d frames rejected on a clean link", q.FramesRejected)
	}
}

// TestStopHangsUp: a Phone that stops (the daemon shuts down) ends its call
// and still tells the peer.
func TestStopHangsUp(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice, bob := w.handset(t, "alice"), w.handset(t, "bob")
	connect(t, alice, bob)
	alice.shutdown()
	bob.awaitEnd(t, "remote-hung-up")
	if err := alice.phone.Dial("bob"); !errors.Is(err, ErrStopped) {
		t.Fatalf("Dial on a stopped phone: %v", err)
	}
}
