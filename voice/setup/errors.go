package setup

import "errors"

// Each refusal wraps exactly one of these sentinels; the call layer reports it
// as the security check that failed.
var (
	// ErrMalformed is a message that does not decode: wrong magic or version,
	// a field too long, trailing bytes, or a field a kind requires or forbids.
	ErrMalformed = errors.New("malformed setup message")
	// ErrCertificate is a sender certificate that does not parse, or whose key
	// is not ECDSA P-384.
	ErrCertificate = errors.New("sender certificate unusable")
	// ErrSignature is a signature that does not verify over the body, or a
	// body that names another certificate than the one attached.
	ErrSignature = errors.New("signature invalid")
	// ErrPeer is a sender the trust store refuses: another CA, expired,
	// revoked, not whitelisted, not allowed by policy. It wraps the trust
	// store's own error.
	ErrPeer = errors.New("sender refused by the trust store")
	// ErrRetargeted is a message meant for another device or certificate.
	ErrRetargeted = errors.New("message addressed to another handset")
	// ErrStale is a message whose timestamp is too far from our clock.
	ErrStale = errors.New("message timestamp outside the freshness window")
	// ErrReplay is a message already received.
	ErrReplay = errors.New("message replayed")
	// ErrNoInnerLayer is an invite without an ML-KEM encapsulation key or an
	// answer without a ciphertext: a peer that would not run the inner layer.
	ErrNoInnerLayer = errors.New("no inner-layer key")
	// ErrFingerprint is an SDP whose a=fingerprint does not name the signing
	// certificate, or names it with another hash than SHA-256.
	ErrFingerprint = errors.New("SDP fingerprint does not match the signed certificate")
)
