package voice

import (
	"context"
	"crypto/hkdf"
	"crypto/mlkem"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"mehfooz/clock"
	"mehfooz/voice/internal/wipe"
	"mehfooz/voice/sas"
	"mehfooz/voice/seal"
	"mehfooz/voice/setup"
)

// call is the one call a Phone has. Fields without a comment are owned by
// the Phone's goroutine.
type call struct {
	gen      uint64 // tags events, so a late event of an ended call is dropped
	id       [setup.CallIDLen]byte
	peerID   string
	peerFP   [setup.FingerprintLen]byte
	peerCert *x509.Certificate // from the first signed message of the peer
	outgoing bool
	phase    Phase
	since    time.Time
	end      *EndReason

	seqOut, seqIn uint32
	invite        [setup.RefLen]byte // digest of the invite: Ref of every later message
	answer        [setup.RefLen]byte // digest of the answer

	offer        string // callee: the invite's SDP, until answered
	peerKEM      []byte // callee: the caller's encapsulation key, until answered
	commitment   []byte // callee: the caller's SAS commitment
	warmed       bool   // callee: the ringing-time peer connection is ready (or failed)
	answering    bool   // callee: the user answered
	restarting   bool   // we sent an ICE restart offer and await its answer
	restartSeq   uint64
	restartSDP   string // the pending restart offer, sent again until answered
	restartSends int    // times it was sent
	requestSends int    // restart requests sent (callee), bounded like offers
	restartAfter bool   // restart again once the one in flight is answered
	// The callee's side: an answer being made, the offer it answers, and
	// the latest offer that came meanwhile.
	answeringRestart bool
	answeredOffer    string
	nextOffer        *setup.Signed
	offersSeen       int // restart offers taken up (callee)
	verdict          Verdict
	alarm            bool
	localHold        atomic.Bool         // read by the send loop
	remoteHold       atomic.Bool         // read by the receive loop
	remote           *webrtc.TrackRemote // the peer's audio, once it arrived

	timer     clock.Timer
	timerWhat string

	ctx    context.Context // cancelled when the call ends: stops every goroutine of the call
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine of the call

	peer   *peer  // nil until the media path is being built
	stream Stream // nil until the media opens
	stats  mediaCounters
	q      Quality // last from the stats loop

	remoteSSRC atomic.Uint32

	keys callKeys
}

// callKeys is every secret a call holds; erase zeroizes all of it.
type callKeys struct {
	dk        *mlkem.DecapsulationKey1024 // caller: erased once the answer's ciphertext is decapsulated
	dkUsed    bool
	kemSecret []byte // ML-KEM shared secret, until the keys are derived
	myNonce   []byte // our SAS nonce (caller: committed in the invite)
	peerNonce []byte // the peer's SAS nonce
	prk       []byte // HKDF-Extract output; kept by the callee until the reveal
	sealer    *seal.Sealer
	opener    *seal.Opener
	code      sas.Code
}

func (k *callKeys) erase() {
	if k.dk != nil {
		_ = wipe.Opaque(k.dk)
	}
	wipe.Bytes(k.kemSecret, k.myNonce, k.peerNonce, k.prk)
	if k.sealer != nil {
		_ = k.sealer.Erase()
	}
	if k.opener != nil {
		_ = k.opener.Erase()
	}
}

// mediaCounters are updated by the media loops and read by the stats loop.
type mediaCounters struct {
	sent, sentBytes, received, rejected atomic.Uint64
}

func (c *call) idHex() string { return hex.EncodeToString(c.id[:]) }

func (c *call) info() CallInfo { return CallInfo{ID: c.id, PeerID: c.peerID, Outgoing: c.outgoing} }

// transcriptLabel separates the transcript hash from other uses of SHA-384.
const transcriptLabel = "mehfooz/v1 transcript"

// deriveKeys runs the call's key schedule once DTLS is up:
//
//	prk = HKDF-Extract(SHA-384, salt = SHA-384(label || invite digest || answer digest),
//	                   ikm = ML-KEM-1024 shared secret || DTLS binding)
//
// The frame keys and the SAS are expanded from prk with their own labels
// (packages seal and sas). The ML-KEM secret makes the keys post-quantum, the
// DTLS binding ties them to the authenticated DTLS session, and the
// transcript to everything both signed.
func (c *call) deriveKeys(binding []byte) error {
	h := sha512.New384()
	h.Write([]byte(transcriptLabel))
	h.Write(c.invite[:])
	h.Write(c.answer[:])
	salt := h.Sum(nil)
	ikm := make([]byte, 0, len(c.keys.kemSecret)+len(binding))
	ikm = append(append(ikm, c.keys.kemSecret...), binding...)
	defer wipe.Bytes(ikm, binding, c.keys.kemSecret)
	prk, err := hkdf.Extract(sha512.New384, ikm, salt)
	if err != nil {
		return err
	}
	c.keys.prk = prk
	c.keys.sealer, c.keys.opener, err = seal.New(prk, c.outgoing)
	return err
}

// deriveSAS computes the code once both nonces are known, then erases prk.
func (c *call) deriveSAS() error {
	callerNonce, calleeNonce := c.keys.myNonce, c.keys.peerNonce
	if !c.outgoing {
		callerNonce, calleeNonce = calleeNonce, callerNonce
	}
	code, err := sas.Derive(c.keys.prk, callerNonce, calleeNonce)
	if err != nil {
		return err
	}
	c.keys.code = code
	wipe.Bytes(c.keys.prk)
	return nil
}

func (c *call) state() State {
	s := State{
		Phase: c.phase, CallID: c.idHex(), PeerID: c.peerID, Outgoing: c.outgoing, Since: c.since,
		Verdict: c.verdict, LocalHold: c.localHold.Load(), RemoteHold: c.remoteHold.Load(),
		End: c.end, Alarm: c.alarm, Quality: c.quality(),
	}
	if c.keys.code != "" {
		s.SAS = c.keys.code.String()
	}
	return s
}
