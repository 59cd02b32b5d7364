package voice

import "time"

// Phase is where a call is. The values are stable strings and match the
// daemon's state.CallPhase, plus "connecting" (answered, media path and keys
// not yet up).
type Phase string

const (
	PhaseIdle       Phase = "idle"
	PhaseDialing    Phase = "dialing"    // invite sent, the callee's handset has not rung yet
	PhaseRinging    Phase = "ringing"    // the callee's handset is ringing
	PhaseIncoming   Phase = "incoming"   // our handset is ringing
	PhaseConnecting Phase = "connecting" // answered; ICE, DTLS and the inner keys are coming up
	PhaseConnected  Phase = "connected"  // verified, keys in place, audio flows
	PhaseOnHold     Phase = "on-hold"    // either side holds
	PhaseEnded      Phase = "ended"
)

// Verdict is what the user said about the SAS.
type Verdict string

const (
	VerdictNone     Verdict = ""
	VerdictMatch    Verdict = "match"
	VerdictMismatch Verdict = "mismatch"
)

// State is everything the UI shows about the call. A Phone publishes a new
// State on every change.
type State struct {
	Phase    Phase
	CallID   string // hex
	PeerID   string
	Outgoing bool
	Since    time.Time // when Phase began
	// SAS is the short authentication string, "482 915", once both halves
	// are known; empty before.
	SAS        string
	Verdict    Verdict
	LocalHold  bool
	RemoteHold bool
	Quality    Quality
	// End is why the call ended, in PhaseEnded.
	End *EndReason
	// Alarm is raised when the user or the peer reported a SAS mismatch or a
	// security check ended the call: the UI must show it loudly.
	Alarm bool
}

// Quality is the call's link quality, from RTCP and the media path.
type Quality struct {
	RTT time.Duration // from our sender reports and the peer's receiver reports
	// LossPct is the share of our packets the peer reports lost (RTCP RR
	// fraction lost); InboundLossPct is the share of the peer's we lost.
	LossPct        float64
	InboundLossPct float64
	JitterMs       float64 // interarrival jitter of the peer's stream (RFC 3550 A.8)
	BitrateKbps    float64 // codec payload bit rate we send
	FramesSent     uint64
	FramesReceived uint64 // opened and delivered
	FramesRejected uint64 // failed the inner layer (tampered, replayed, unsealed)
}
