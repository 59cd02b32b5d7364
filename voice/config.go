package voice

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"time"

	"mehfooz/clock"
	"mehfooz/voice/setup"
)

// Identity is this handset: device ID, enrolled certificate (EKU serverAuth
// and clientAuth) and its ECDSA P-384 key as a crypto.Signer.
type Identity = setup.Identity

// Peers is the trust store's view of other handsets; see setup.Peers.
type Peers = setup.Peers

// Config is what a Phone needs. Identity, Peers, Roots, TURN, Signaling and
// Media are required.
type Config struct {
	Identity Identity
	Peers    Peers
	// Roots holds the enrollment CA: DTLS peers must chain to it.
	Roots *x509.CertPool
	// TURN returns the relay servers with credentials for one call; the
	// exchange mints them per call and per pair of handsets. The caller asks
	// before its invite leaves, the callee once the invite has arrived.
	TURN func(ctx context.Context, call CallInfo) ([]ICEServer, error)
	// TURNRoots is the CA of the TURN server's TLS certificate, for the
	// turns: fallback. Nil means Roots.
	TURNRoots *x509.CertPool
	Signaling Signaling
	Media     Media
	Clock     clock.Clock  // nil means clock.Real{}
	Log       *slog.Logger // nil discards
	// OnUpdate receives every change of the call's State, on the Phone's
	// goroutine. It must not block; the daemon publishes to its Hub.
	OnUpdate func(State)
	// OnRefusal receives every incoming message that failed a check before it
	// could start or change a call (for the audit log). It must not block.
	OnRefusal func(Refusal)
	Timeouts  Timeouts

	// Test knobs for rogue handsets; never set outside tests.
	test testKnobs
}

// Timeouts bound each phase of a call. Zero fields take the defaults.
type Timeouts struct {
	Gather  time.Duration // TURN allocation and candidate gathering (10 s)
	Dial    time.Duration // invite sent, no "ringing" back: unreachable (10 s)
	Answer  time.Duration // ringing, nobody answers: no-answer (45 s)
	Connect time.Duration // answered, media path not up: network (15 s)
	Reveal  time.Duration // callee connected, caller's SAS nonce not revealed (10 s)
}

func (t Timeouts) withDefaults() Timeouts {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&t.Gather, 10*time.Second)
	def(&t.Dial, 10*time.Second)
	def(&t.Answer, 45*time.Second)
	def(&t.Connect, 15*time.Second)
	def(&t.Reveal, 10*time.Second)
	return t
}

// Refusal is an incoming message a Phone refused.
type Refusal struct {
	From  string // claimed sender; unauthenticated when Check is about authenticity
	Kind  string // message kind, e.g. "invite"
	Check Check
	Err   error
}

// FrameDuration is the audio carried by one frame: 20 ms of Opus.
const FrameDuration = 20 * time.Millisecond

// Media connects a call to audio. Open is called once the call is connected
// and its keys are in place; the Stream lives until the call ends.
type Media interface {
	Open(info CallInfo) (Stream, error)
}

// CallInfo names a call.
type CallInfo struct {
	ID       [16]byte // the call ID of every setup message; the exchange's call ID
	PeerID   string
	Outgoing bool
}

// Stream is one call's audio: encoded frames out, encoded frames in.
type Stream interface {
	// ReadFrame blocks until the next frame to send is ready, paced by the
	// capture clock, copies it into buf and returns its length. It returns
	// when ctx is done.
	ReadFrame(ctx context.Context, buf []byte) (int, error)
	// WriteFrame takes one received frame, already opened. It must not
	// block (push into a jitter buffer) and must not keep f.Payload.
	WriteFrame(f Frame)
	// Close is called once, after the last ReadFrame and WriteFrame.
	Close() error
}

// Frame is one received frame.
type Frame struct {
	Seq       uint16
	Timestamp uint32
	Arrival   time.Time
	Payload   []byte
}

func (c *Config) validate() error {
	switch {
	case c.Identity.Cert == nil || c.Identity.Key == nil || c.Identity.DeviceID == "":
		return errors.New("voice: config: identity incomplete")
	case c.Peers == nil:
		return errors.New("voice: config: no Peers")
	case c.Roots == nil:
		return errors.New("voice: config: no enrollment CA roots")
	case c.TURN == nil:
		return errors.New("voice: config: no TURN source")
	case c.Signaling == nil:
		return errors.New("voice: config: no Signaling")
	case c.Media == nil:
		return errors.New("voice: config: no Media")
	}
	return nil
}
