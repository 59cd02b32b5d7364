// Package wire is the protocol between a handset and the exchange: one
// long-lived TLS 1.3 connection carrying length-prefixed binary frames.
//
// A frame is
//
//	length  uint32  bytes that follow (header and payload), at most the reader's cap
//	version uint8   Version
//	kind    uint8   a Kind; its high bit says who sent it (0 handset, 1 exchange)
//	seq     uint64  the sender's frame counter: 1, 2, 3, ... per connection
//	payload         the message fields, in the order of its struct
//
// Integers are big-endian. A string or short byte field is a uint16 length
// and its bytes; a body or bundle is a uint32 length and its bytes. Decoding
// is strict: an unknown version or kind, a kind sent in the wrong direction, a
// sequence gap, a field longer than its cap, an identifier outside its
// alphabet, a boolean other than 0 or 1, or a byte left over is an error, and
// every message has exactly one encoding, so Decode(Encode(m)) == m and
// Encode(Decode(b)) == b.
//
// Call signaling (invite, answer, candidates, hang-up, ...) travels in an
// Envelope whose Body the exchange never parses: the handsets sign it end to
// end. The exchange fills in Envelope.From from the sender's authenticated
// TLS identity; a handset that sets it is refused.
package wire

// Version is the protocol version this package speaks.
const Version = 1

// Size caps. A handset's frames carry at most one envelope; the exchange's
// may carry a directory bundle, which grows with the fleet.
const (
	// MaxHandsetFrame caps a frame a handset sends.
	MaxHandsetFrame = 48 << 10
	// MaxExchangeFrame caps a frame the exchange sends.
	MaxExchangeFrame = 4 << 20
	// MaxBody caps an envelope body (SDP, ML-KEM key, signature).
	MaxBody = 32 << 10
	// MaxBundle caps a directory or revocation bundle.
	MaxBundle = MaxExchangeFrame - 1024
	// MaxID caps a device identifier (trust.DeviceID is at most 32).
	MaxID = 32
	// MaxSelfRevoke caps a signed self-revocation request.
	MaxSelfRevoke = 512
	// MaxReason caps a human-readable reason.
	MaxReason = 256
	// MaxList caps the entries of a presence list or URL list.
	MaxList = 1 << 16
	// headerLen is version, kind and seq.
	headerLen = 1 + 1 + 8
)
