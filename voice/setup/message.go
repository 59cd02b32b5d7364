package setup

import (
	"crypto/mlkem"
	"fmt"
	"time"
)

// Kind is what a message does. The values are fixed on the wire.
type Kind uint8

const (
	KindInvite        Kind = 1  // caller -> callee: SDP offer, ML-KEM key, SAS commitment
	KindRinging       Kind = 2  // callee -> caller: the callee's handset rings
	KindAnswer        Kind = 3  // callee -> caller: SDP answer, ML-KEM ciphertext, SAS nonce
	KindReveal        Kind = 4  // caller -> callee: the committed SAS nonce, after DTLS
	KindDecline       Kind = 5  // callee -> caller: the user declined
	KindBusy          Kind = 6  // callee -> caller: already in a call
	KindHangUp        Kind = 7  // either way: the call is over (Reason says why)
	KindRestart       Kind = 8  // either way: ICE restart offer (new bearer)
	KindRestartAnswer Kind = 9  // either way: ICE restart answer
	KindHold          Kind = 10 // either way: On is the new hold state
	KindRefuse        Kind = 11 // either way: a security check failed (Reason names it)
	// KindRestartRequest: callee -> caller: the callee's bearer changed;
	// the caller makes the ICE restart offer, so the two never offer at once.
	KindRestartRequest Kind = 12
)

var kindNames = map[Kind]string{
	KindInvite: "invite", KindRinging: "ringing", KindAnswer: "answer", KindReveal: "reveal",
	KindDecline: "decline", KindBusy: "busy", KindHangUp: "hang-up", KindRestart: "restart",
	KindRestartAnswer: "restart-answer", KindHold: "hold", KindRefuse: "refuse", KindRestartRequest: "restart-request",
}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Sizes and caps of the fields.
const (
	CallIDLen      = 16
	FingerprintLen = 32 // SHA-256 of the certificate DER
	NonceLen       = 16
	RefLen         = 48 // SHA-384 of the invite body
	CommitLen      = 48 // SHA-384 commitment to the caller's SAS nonce
	SASNonceLen    = 32
	MaxDeviceID    = 64
	MaxSDP         = 8 << 10
	MaxReason      = 128
	MaxCert        = 4 << 10
	MaxSignature   = 128
	// MaxEnvelope bounds a whole signed message; anything longer is refused
	// before any parsing.
	MaxEnvelope = 16 << 10
)

// Message is one call-setup message. Fields a Kind does not use are zero.
type Message struct {
	Kind   Kind
	CallID [CallIDLen]byte
	From   string // sender's device ID
	To     string // recipient's device ID
	// FromFP and ToFP are the SHA-256 fingerprints of the sender's certificate
	// and of the certificate the sender expects the recipient to hold.
	FromFP [FingerprintLen]byte
	ToFP   [FingerprintLen]byte
	Seq    uint32    // per call and sender, from 1, strictly increasing
	Time   time.Time // sender's clock, millisecond precision on the wire
	Nonce  [NonceLen]byte
	// Ref is the SHA-384 of the invite body this message belongs to; zero in
	// the invite itself.
	Ref [RefLen]byte

	SDP    string // invite, answer, restart, restart-answer
	KEM    []byte // invite: ML-KEM-1024 encapsulation key; answer: ciphertext
	SAS    []byte // invite: commitment; answer and reveal: SAS nonce
	Reason string // hang-up, refuse
	On     bool   // hold
}

// rules says which payload fields a kind carries; every other one must be empty.
type rules struct {
	sdp    bool
	kem    int // exact length, 0 for none
	sas    int // exact length, 0 for none
	reason bool
	on     bool
	ref    bool // Ref must be set (all but the invite)
}

var kindRules = map[Kind]rules{
	KindInvite:         {sdp: true, kem: mlkem.EncapsulationKeySize1024, sas: CommitLen},
	KindRinging:        {ref: true},
	KindAnswer:         {sdp: true, kem: mlkem.CiphertextSize1024, sas: SASNonceLen, ref: true},
	KindReveal:         {sas: SASNonceLen, ref: true},
	KindDecline:        {ref: true},
	KindBusy:           {ref: true},
	KindHangUp:         {reason: true, ref: true},
	KindRestart:        {sdp: true, ref: true},
	KindRestartAnswer:  {sdp: true, ref: true},
	KindHold:           {on: true, ref: true},
	KindRefuse:         {reason: true, ref: true},
	KindRestartRequest: {ref: true},
}

// check enforces the field rules of m's kind, when encoding and when
// decoding, so neither side produces a message the other would not accept.
// The one rule only a receiver enforces is that an invite or answer carries
// its ML-KEM field: the inner layer is the receiver's demand on its peer.
func (m *Message) check(receiving bool) error {
	r, ok := kindRules[m.Kind]
	if !ok {
		return fmt.Errorf("%w: unknown kind %d", ErrMalformed, m.Kind)
	}
	if err := checkDeviceID(m.From); err != nil {
		return fmt.Errorf("%w: from: %v", ErrMalformed, err)
	}
	if err := checkDeviceID(m.To); err != nil {
		return fmt.Errorf("%w: to: %v", ErrMalformed, err)
	}
	if m.Seq == 0 {
		return fmt.Errorf("%w: sequence number 0", ErrMalformed)
	}
	if r.ref == (m.Ref == [RefLen]byte{}) {
		return fmt.Errorf("%w: %s with ref %v", ErrMalformed, m.Kind, !r.ref)
	}
	if r.kem > 0 && len(m.KEM) == 0 {
		if receiving {
			return fmt.Errorf("%w: %s without its ML-KEM field", ErrNoInnerLayer, m.Kind)
		}
		r.kem = 0
	}
	if r.sdp != (m.SDP != "") {
		return fmt.Errorf("%w: %s with SDP present=%v", ErrMalformed, m.Kind, m.SDP != "")
	}
	if !r.reason && m.Reason != "" {
		return fmt.Errorf("%w: %s with a reason", ErrMalformed, m.Kind)
	}
	if !r.on && m.On {
		return fmt.Errorf("%w: %s with the hold flag", ErrMalformed, m.Kind)
	}
	if len(m.KEM) != r.kem {
		return fmt.Errorf("%w: %s ML-KEM field of %d bytes, want %d", ErrMalformed, m.Kind, len(m.KEM), r.kem)
	}
	if len(m.SAS) != r.sas {
		return fmt.Errorf("%w: %s SAS field of %d bytes, want %d", ErrMalformed, m.Kind, len(m.SAS), r.sas)
	}
	if len(m.SDP) > MaxSDP || len(m.Reason) > MaxReason {
		return fmt.Errorf("%w: field too long", ErrMalformed)
	}
	if !printable(m.Reason) {
		return fmt.Errorf("%w: reason is not printable ASCII", ErrMalformed)
	}
	return nil
}

func checkDeviceID(id string) error {
	if len(id) == 0 || len(id) > MaxDeviceID {
		return fmt.Errorf("device ID of %d bytes", len(id))
	}
	if !printable(id) {
		return fmt.Errorf("device ID is not printable ASCII")
	}
	return nil
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
