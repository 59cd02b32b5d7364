package wire

// Codes the exchange puts in Error and CallEnded frames. They are part of
// the protocol: a handset branches on them (and shows a reason), so they are
// never renamed.
const (
	// Admission: why a connection was refused (Error with Re 0, then close).
	CodeUnenrolled          = "unenrolled"           // no certificate, or not the one enrolled here
	CodeWrongCA             = "wrong-ca"             // not issued by the enrollment CA
	CodeExpired             = "expired"              // certificate past NotAfter
	CodeNotYetValid         = "not-yet-valid"        // certificate before NotBefore
	CodeWrongEKU            = "wrong-eku"            // extended key usage is not a device's
	CodeWrongRole           = "wrong-role"           // a technician's or server's certificate
	CodeKeyType             = "key-type"             // not ECDSA P-384
	CodeBadDeviceID         = "bad-device-id"        // subject is not a device ID
	CodeRevoked             = "revoked"              // on the revocation list, or blocked here
	CodeNotInDirectory      = "not-in-directory"     // not whitelisted
	CodeFingerprintMismatch = "fingerprint-mismatch" // directory lists another certificate
	CodeNoDirectory         = "no-directory"         // no directory published yet
	CodeNoRevocations       = "no-revocation-list"   // no revocation list published yet
	CodeStaleRevocations    = "stale-revocations"    // the revocation list expired; a fresh one is needed
	CodeReplaced            = "replaced"             // a newer connection of the same device took over
	CodeIdle                = "idle"                 // no frame within the idle timeout
	CodeShutdown            = "shutdown"             // the exchange is stopping
	CodeMalformed           = "malformed"            // a frame broke the protocol
	CodeSpoofedSender       = "spoofed-sender"       // a handset set Envelope.From
	CodeSlow                = "slow"                 // the handset did not read its frames

	// Routing: why one frame was refused (Error with Re = its seq).
	CodeNotAllowed   = "not-allowed"    // directory policy forbids the call
	CodeOffline      = "offline"        // the callee is not connected
	CodeReplayed     = "replayed"       // an invite reused a call ID
	CodeNoCall       = "no-call"        // no open call with this ID
	CodeNotInCall    = "not-in-call"    // sender or recipient is not a party of the call
	CodeBadState     = "bad-state"      // e.g. an answer from the caller, a second answer
	CodeTooManyCalls = "too-many-calls" // per-device open-call cap
	CodeRateLimited  = "rate-limited"   // per-device token bucket empty
	CodeWipePending  = "wipe-pending"   // the device is being wiped
	CodeNoRelay      = "no-relay"       // this exchange runs no TURN relay
	CodeInternal     = "internal"       // the exchange failed; retry later

	// CallEnded codes.
	CodeTimeout  = "timeout"   // unanswered, or a party gone too long
	CodePeerGone = "peer-gone" // the other party was revoked or removed
)
