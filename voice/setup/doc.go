// Package setup is the signed call-setup protocol between two handsets: the
// invite, the answer and every later message that changes a call (ringing,
// the SAS reveal, hold, ICE restart, decline, busy, hang-up and security
// refusals).
//
// The exchange routes these messages but must not be able to forge, alter,
// replay or re-target them. Each message is therefore signed by the sending
// handset's device key (ECDSA P-384 with SHA-384) and carries the call ID, both
// device IDs, the SHA-256 fingerprints of both handsets' certificates, the
// sender's clock, a per-message nonce, a per-call sequence number and, after
// the invite, the hash of the invite it belongs to. The receiver verifies the
// certificate against the enrollment CA and the directory whitelist (through
// the Peers interface the daemon fills from the trust store), the signature,
// that it is the intended recipient, freshness, and that it has not seen the
// message before. The SDP of an invite or answer must name, in every
// a=fingerprint line, the certificate that signed it, so the DTLS peer is the
// whitelisted handset (RFC 8122 section 5; RFC 5763 section 5 leaves the
// integrity of the fingerprint to signaling, which is what this signature
// provides).
//
// The encoding is binary, fixed-order and length-prefixed, with a cap on every
// field and on the whole message, and exactly one encoding per message: a
// decoder that accepts a body re-encodes it to the same bytes. Enumerations
// have fixed numeric values on the wire.
package setup
