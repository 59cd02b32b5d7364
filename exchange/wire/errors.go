package wire

import "errors"

// Decoding errors. Each names a rule a frame broke; callers branch on them
// with errors.Is and report them to the peer as a reason.
var (
	ErrTooLarge  = errors.New("wire: frame exceeds size cap")
	ErrShort     = errors.New("wire: frame truncated")
	ErrVersion   = errors.New("wire: unsupported protocol version")
	ErrKind      = errors.New("wire: unknown message kind")
	ErrDirection = errors.New("wire: message kind not allowed in this direction")
	ErrSeq       = errors.New("wire: frame out of sequence (replayed, dropped or reordered)")
	ErrTrailing  = errors.New("wire: trailing bytes after message")
	ErrField     = errors.New("wire: invalid field")
	// ErrFromSet means a handset filled in Envelope.From, which only the
	// exchange may do (it takes it from the TLS identity).
	ErrFromSet = errors.New("wire: envelope sender set by handset")
)
