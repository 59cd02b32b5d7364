package voice

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/dtls/v3"

	"mehfooz/voice/internal/testpki"
	"mehfooz/voice/setup"
)

// awaitRefusal waits for h to report a refused message with the given check.
func (h *handset) awaitRefusal(t *testing.T, want Check) Refusal {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case r := <-h.refused:
			if r.Check == want {
				return r
			}
			t.Logf("%s: refusal %+v", h.id, r)
		case <-deadline:
			t.Fatalf("%s: no refusal with check %q", h.id, want)
		}
	}
}

// neverRang fails if h's handset ever rang or connected.
func (h *handset) neverRang(t *testing.T) {
	t.Helper()
	for {
		select {
		case s := <-h.updates:
			if s.Phase == PhaseIncoming || s.Phase == PhaseConnected {
				t.Fatalf("%s: reached %s", h.id, s.Phase)
			}
		default:
			return
		}
	}
}

func TestRefusesPeerOfAnotherCA(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	bob := w.handset(t, "bob")
	// Mallory holds a certificate for "alice" from a CA of her own. Her
	// handset trusts the real CA too, so it can read bob's refusal.
	rogue := testpki.NewCA(t, "rogue").Device(t, "alice")
	mallory := w.start(t, rogue)
	if err := mallory.phone.Dial("bob"); err != nil {
		t.Fatal(err)
	}
	r := bob.awaitRefusal(t, CheckPeer)
	if r.From != "alice" || r.Kind != "invite" {
		t.Fatalf("refusal %+v", r)
	}
	mallory.awaitEnd(t, "security (peer): "+string(CheckPeer))
	bob.neverRang(t)
}

func TestRefusesFingerprintSwappedInTransit(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice, bob := w.handset(t, "alice"), w.handset(t, "bob")
	// The exchange replaces alice's DTLS fingerprint in the invite with its
	// own, to sit in the middle of the media.
	evil := []byte(setup.FormatFingerprint([32]byte{0xe5, 0x11}))
	w.sw.Tamper = func(from, to string, msg []byte) [][]byte {
		if m, _, err := setup.Peek(msg); err == nil && m.Kind == setup.KindInvite {
			old := []byte(setup.FormatFingerprint(m.FromFP))
			msg = bytes.ReplaceAll(msg, old, evil)
		}
		return [][]byte{msg}
	}
	if err := alice.phone.Dial("bob"); err != nil {
		t.Fatal(err)
	}
	bob.awaitRefusal(t, CheckSignature)
	alice.awaitEnd(t, "security (peer): "+string(CheckSignature))
	bob.neverRang(t)
}

func TestRefusesTamperedAnswer(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice, bob := w.handset(t, "alice"), w.handset(t, "bob")
	w.sw.Tamper = func(from, to string, msg []byte) [][]byte {
		if m, _, err := setup.Peek(msg); err == nil && m.Kind == setup.KindAnswer {
			// Same length, one hex digit of the fingerprint changed.
			i := bytes.Index(msg, []byte("a=fingerprint:sha-256 ")) + len("a=fingerprint:sha-256 ")
			if msg[i] == '0' {
				msg[i] = '1'
			} else {
				msg[i] = '0'
			}
		}
		return [][]byte{msg}
	}
	if err := alice.phone.Dial("bob"); err != nil {
		t.Fatal(err)
	}
	bob.awaitPhase(t, PhaseIncoming)
	if err := bob.phone.Answer(); err != nil {
		t.Fatal(err)
	}
	alice.awaitEnd(t, "security: "+string(CheckSignature))
	bob.awaitEnd(t, "security (peer): "+string(CheckSignature))
}

func TestRefusesWeakerSRTPProfile(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice := w.handset(t, "alice")
	bob := w.handset(t, "bob", func(c *Config) {
		c.test.srtpProfiles = []dtls.SRTPProtectionProfile{dtls.SRTP_AES128_CM_HMAC_SHA1_80}
	})
	if err := alice.phone.Dial("bob"); err != nil {
		t.Fatal(err)
	}
	bob.awaitPhase(t, PhaseIncoming)
	if err := bob.phone.Answer(); err != nil {
		t.Fatal(err)
	}
	// Alice is the DTLS server: she sees bob offer only the weaker profile.
	alice.awaitEnd(t, "security: "+string(CheckSRTPProfile))
	s := bob.awaitPhase(t, PhaseEnded)
	if s.End.Kind != EndSecurity {
		t.Fatalf("bob ended with %s", s.End)
	}
}

func TestRefusesInviteWithoutInnerLayer(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice := w.handset(t, "alice", func(c *Config) { c.test.noInnerLayer = true })
	bob := w.handset(t, "bob")
	if err := alice.phone.Dial("bob"); err != nil {
		t.Fatal(err)
	}
	bob.awaitRefusal(t, CheckNoInnerLayer)
	alice.awaitEnd(t, "security (peer): "+string(CheckNoInnerLayer))
	bob.neverRang(t)
}

func TestRefusesPeerSendingWithoutInnerLayer(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice := w.handset(t, "alice", func(c *Config) { c.test.sendUnsealed = true })
	bob := w.handset(t, "bob")
	connect(t, alice, bob)
	bob.awaitEnd(t, "security: "+string(CheckInnerLayer))
	alice.awaitEnd(t, "security (peer): "+string(CheckInnerLayer))
	if got, _ := bob.media.last().received(); len(got) != 0 {
		t.Fatalf("bob's audio got %d unsealed frames", len(got))
	}
}

func TestRefusesBrokenCommitment(t *testing.T) {
	// The check whose absence was CVE-2016-6271: the revealed nonce must be
	// the one committed to in the invite.
	checkGoroutines(t)
	w := newWorld(t)
	alice := w.handset(t, "alice", func(c *Config) { c.test.badReveal = true })
	bob := w.handset(t, "bob")
	if err := alice.phone.Dial("bob"); err != nil {
		t.Fatal(err)
	}
	bob.awaitPhase(t, PhaseIncoming)
	if err := bob.phone.Answer(); err != nil {
		t.Fatal(err)
	}
	s := bob.awaitEnd(t, "security: "+string(CheckCommitment))
	if s.SAS != "" || !s.Alarm {
		t.Fatalf("bob showed SAS %q, alarm %v", s.SAS, s.Alarm)
	}
	alice.awaitEnd(t, "security (peer): "+string(CheckCommitment))
}

func TestRefusesReplayedInvite(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice, bob := w.handset(t, "alice"), w.handset(t, "bob")
	var mu sync.Mutex
	var invite []byte
	w.sw.Tamper = func(from, to string, msg []byte) [][]byte {
		if m, _, err := setup.Peek(msg); err == nil && m.Kind == setup.KindInvite {
			mu.Lock()
			invite = bytes.Clone(msg)
			mu.Unlock()
		}
		return [][]byte{msg}
	}
	connect(t, alice, bob)
	mu.Lock()
	replay := invite
	mu.Unlock()

	// Replayed while the call is up: refused, and the call carries on.
	if err := w.sw.Inject("alice", "bob", replay); err != nil {
		t.Fatal(err)
	}
	bob.awaitRefusal(t, CheckReplay)
	alice.awaitFrames(t, 10)
	if s := bob.phone.State(); s.Phase != PhaseConnected {
		t.Fatalf("bob's call after a replay: %s", s.Phase)
	}
	if err := alice.phone.HangUp(); err != nil {
		t.Fatal(err)
	}
	bob.awaitEnd(t, "remote-hung-up")

	// Replayed after the call: refused, nothing rings.
	if err := w.sw.Inject("alice", "bob", replay); err != nil {
		t.Fatal(err)
	}
	bob.awaitRefusal(t, CheckReplay)
	time.Sleep(50 * time.Millisecond)
	bob.neverRang(t)
}

func TestRevokedMidCall(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice, bob := w.handset(t, "alice"), w.handset(t, "bob")
	connect(t, alice, bob)
	// The new revocation list names alice; the daemon tells the Phone.
	w.dir.Revoke("alice")
	bob.phone.Revoked("alice")
	bob.awaitEnd(t, "security: "+string(CheckRevoked))
	alice.awaitEnd(t, "security (peer): "+string(CheckRevoked))
	// And she cannot call again.
	if err := alice.phone.Dial("bob"); err != nil {
		t.Fatal(err)
	}
	bob.awaitRefusal(t, CheckPeer)
	alice.awaitEnd(t, "security (peer): "+string(CheckPeer))
}

func TestRefusesCallThePolicyForbids(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice, bob := w.handset(t, "alice"), w.handset(t, "bob")
	// Carol's copy of the directory is stale and still lets her call bob;
	// bob's current one does not.
	carolDev := w.ca.Device(t, "carol")
	w.dir.Add(carolDev)
	w.dir.Forbid("carol", "bob")
	stale := testpki.NewDirectory(w.ca.Pool).Add(alice.dev, bob.dev, carolDev)
	carol := w.start(t, carolDev, func(c *Config) { c.Peers = stale })
	if err := carol.phone.Dial("bob"); err != nil {
		t.Fatal(err)
	}
	bob.awaitRefusal(t, CheckPolicy)
	carol.awaitEnd(t, "security (peer): "+string(CheckPolicy))
	bob.neverRang(t)
	// With a current directory the caller refuses before dialling.
	w.dir.Forbid("alice", "bob")
	if err := alice.phone.Dial("bob"); !errors.Is(err, testpki.ErrPolicy) {
		t.Fatalf("Dial against the policy: %v", err)
	}
}

// TestRefusesOfferWithoutOpus: a caller whose offer carries another codec
// would connect without sound; the callee refuses it when answering.
func TestRefusesOfferWithoutOpus(t *testing.T) {
	checkGoroutines(t)
	w := newWorld(t)
	alice := w.handset(t, "alice", func(c *Config) {
		c.test.mungeSDP = func(sd string) string {
			sd = strings.ReplaceAll(sd, "opus/48000/2", "PCMU/8000")
			return strings.ReplaceAll(sd, "a=fmtp:111 minptime=10;useinbandfec=1;cbr=1;usedtx=0\r\n", "")
		}
	})
	bob := w.handset(t, "bob")
	if err := alice.phone.Dial("bob"); err != nil {
		t.Fatal(err)
	}
	bob.awaitPhase(t, PhaseIncoming)
	if err := bob.phone.Answer(); err != nil {
		t.Fatal(err)
	}
	bob.awaitEnd(t, "security: "+string(CheckCodec))
	alice.awaitEnd(t, "security (peer): "+string(CheckCodec))
}
