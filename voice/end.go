package voice

import (
	"errors"
	"fmt"

	"mehfooz/voice/setup"
)

// EndKind says how a call ended. The values are stable strings: they reach the
// UI and phonectl through the daemon's state stream.
type EndKind string

const (
	EndHungUp       EndKind = "hung-up"        // this side hung up
	EndRemoteHungUp EndKind = "remote-hung-up" // the peer hung up (or cancelled before we answered)
	EndDeclined     EndKind = "declined"       // the callee declined, or we did
	EndBusy         EndKind = "busy"           // the callee is in another call
	EndUnreachable  EndKind = "unreachable"    // the invite could not be delivered or was never acknowledged
	EndNoAnswer     EndKind = "no-answer"      // it rang and nobody answered
	EndNetwork      EndKind = "network"        // the media path failed and did not recover
	EndSecurity     EndKind = "security"       // a security check failed (Check names it)
)

// Check names the security check that refused a call. The values are stable.
type Check string

const (
	CheckMalformed       Check = "malformed setup message"
	CheckCertificate     Check = "sender certificate"
	CheckSignature       Check = "signature"
	CheckPeer            Check = "peer certificate refused by the trust store"
	CheckRetargeted      Check = "message addressed to another handset"
	CheckStale           Check = "stale message"
	CheckReplay          Check = "replayed message"
	CheckNoInnerLayer    Check = "no inner-layer key"
	CheckSDPFingerprint  Check = "SDP fingerprint"
	CheckSequence        Check = "message out of sequence"
	CheckDTLS            Check = "DTLS handshake"
	CheckDTLSCertificate Check = "DTLS peer certificate"
	CheckDTLSFingerprint Check = "DTLS fingerprint"
	CheckDTLSParameters  Check = "DTLS parameters"
	CheckSRTPProfile     Check = "SRTP profile"
	CheckDTLSBinding     Check = "DTLS session binding"
	CheckInnerLayer      Check = "inner layer"
	CheckCommitment      Check = "SAS commitment"
	CheckSASMismatch     Check = "SAS mismatch"
	CheckRevoked         Check = "peer revoked"
	CheckPolicy          Check = "call not allowed by the directory policy"
	CheckCodec           Check = "codec"
)

// EndReason is why a call ended.
type EndReason struct {
	Kind EndKind
	// Check is the security check that failed, for EndSecurity.
	Check Check
	// ByPeer is set when the peer's handset ran the check and told us.
	ByPeer bool
	// Detail is for logs and technicians; it never holds a secret.
	Detail string
}

// String is the text the daemon's state carries: "busy", "hung-up",
// "security: SAS mismatch", "security (peer): peer revoked", ...
func (r EndReason) String() string {
	if r.Kind != EndSecurity {
		return string(r.Kind)
	}
	if r.ByPeer {
		return "security (peer): " + string(r.Check)
	}
	return "security: " + string(r.Check)
}

// SecurityError is a call refused because a check failed.
type SecurityError struct {
	Check Check
	Err   error
}

func (e *SecurityError) Error() string { return fmt.Sprintf("security: %s: %v", e.Check, e.Err) }
func (e *SecurityError) Unwrap() error { return e.Err }

// setupCheck maps a refusal from package setup to the check that failed.
func setupCheck(err error) Check {
	for _, m := range []struct {
		err   error
		check Check
	}{
		{setup.ErrNoInnerLayer, CheckNoInnerLayer},
		{setup.ErrMalformed, CheckMalformed},
		{setup.ErrCertificate, CheckCertificate},
		{setup.ErrSignature, CheckSignature},
		{setup.ErrPeer, CheckPeer},
		{setup.ErrRetargeted, CheckRetargeted},
		{setup.ErrStale, CheckStale},
		{setup.ErrReplay, CheckReplay},
		{setup.ErrFingerprint, CheckSDPFingerprint},
	} {
		if errors.Is(err, m.err) {
			return m.check
		}
	}
	return CheckMalformed
}
