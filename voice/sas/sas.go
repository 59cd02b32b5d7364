// Package sas makes the short authentication string both screens show during
// a call, with the hash commitment that stops a man in the middle from
// choosing it.
//
// A SAS of six digits can be matched by chance one time in a million, but
// only if the attacker gets a single try. Without a commitment, whoever
// contributes last to the keys (the DTLS client picks its ECDHE share after
// seeing the server's; the ML-KEM encapsulator picks its ciphertext after
// seeing the key) could try values until both legs of a relayed call show the
// same code. As in ZRTP (RFC 6189 section 4.4.1.1, the hvi commitment), the
// caller therefore commits to a random nonce in its signed invite, the callee
// answers with its own nonce, and the caller reveals its nonce only after the
// DTLS handshake and the ML-KEM exchange have fixed the call keys. The code is
// derived from those keys and both nonces, so nobody can steer it, and the
// callee refuses a reveal that does not match the commitment (the check whose
// absence was CVE-2016-6271 in another ZRTP stack).
package sas

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"

	"mehfooz/voice/internal/wipe"
)

const (
	// NonceLen is the size of each side's SAS nonce.
	NonceLen = 32
	// CommitLen is the size of the caller's commitment.
	CommitLen = sha512.Size384
	// Digits is the length of the code.
	Digits = 6

	commitLabel = "mehfooz/v1 sas commitment"
	keyLabel    = "mehfooz/v1 sas"
)

// ErrCommitment is a revealed nonce that does not match the commitment.
var ErrCommitment = errors.New("sas: revealed nonce does not match the commitment")

// NewNonce returns a fresh random nonce.
func NewNonce() []byte {
	n := make([]byte, NonceLen)
	rand.Read(n) // never fails (crypto/rand, Go 1.24)
	return n
}

// Commit is the caller's commitment to nonce for the call callID.
func Commit(callID, nonce []byte) []byte {
	h := sha512.New384()
	h.Write([]byte(commitLabel))
	var n [2]byte
	binary.BigEndian.PutUint16(n[:], uint16(len(callID)))
	h.Write(n[:])
	h.Write(callID)
	h.Write(nonce)
	return h.Sum(nil)
}

// Check verifies a revealed nonce against the commitment, in constant time.
func Check(commitment, callID, nonce []byte) error {
	if len(nonce) != NonceLen || subtle.ConstantTimeCompare(commitment, Commit(callID, nonce)) != 1 {
		return ErrCommitment
	}
	return nil
}

// Code is a short authentication string: Digits decimal digits.
type Code string

// String shows the code in two groups, one for each party to read aloud.
func (c Code) String() string {
	if len(c) != Digits {
		return string(c)
	}
	return string(c[:Digits/2]) + " " + string(c[Digits/2:])
}

// Derive computes the code from the call's pseudorandom key (the same one the
// frame keys come from: it covers the ML-KEM secret, the DTLS session and the
// transcript) and both nonces.
func Derive(prk, callerNonce, calleeNonce []byte) (Code, error) {
	if len(callerNonce) != NonceLen || len(calleeNonce) != NonceLen {
		return "", fmt.Errorf("sas: nonces of %d and %d bytes, want %d", len(callerNonce), len(calleeNonce), NonceLen)
	}
	key, err := hkdf.Expand(sha512.New384, prk, keyLabel, sha512.Size384)
	if err != nil {
		return "", fmt.Errorf("sas: expand: %w", err)
	}
	defer wipe.Bytes(key)
	m := hmac.New(sha512.New384, key)
	m.Write(callerNonce)
	m.Write(calleeNonce)
	sum := m.Sum(nil)
	defer wipe.Bytes(sum)
	// 64 bits reduced mod 10^6: the bias is below 2^-44.
	v := binary.BigEndian.Uint64(sum) % 1_000_000
	return Code(fmt.Sprintf("%06d", v)), nil
}
