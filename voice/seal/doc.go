// Package seal is the inner, post-quantum layer of a call. Every Opus frame is
// sealed with AES-256-GCM before it enters SRTP, under a key that only the two
// handsets can derive: HKDF-SHA-384 over the ML-KEM-1024 shared secret, a value
// bound to the DTLS session and the call transcript (the caller computes that
// pseudorandom key; this package expands it). A recording of today's SRTP
// traffic therefore stays closed even to someone who later breaks the DTLS
// ECDHE exchange.
//
// A sealed frame is
//
//	+--------+--------+--------+--------+--------+-----------------+----------+
//	| ver|fl |            counter (big endian)   | ciphertext ...  | tag (16) |
//	+--------+--------+--------+--------+--------+-----------------+----------+
//
// The first byte carries the version in its high nibble and flags in its low
// nibble; the 32-bit counter is the frame's sequence number in its direction.
// The nonce is the direction's 96-bit salt XOR the counter, so no nonce repeats
// under one key, and the five header bytes are the additional data. Each
// direction has its own key, so a frame reflected back to its sender does not
// open. The receiver keeps a sliding window of the last Window counters and
// refuses duplicates and frames older than the window, updating the window
// only after a frame authenticates (the same rule as the SRTP replay list,
// RFC 3711 section 3.3.2).
package seal
