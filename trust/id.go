package trust

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// DeviceID names an enrolled handset. It is the CN of its certificate, the
// key of its directory entry and of its revocation entry. The form is
// deliberately narrow, 3 to 32 characters of [a-z0-9-], starting and ending
// with a letter or digit, so it can appear in logs, file names and UI without
// escaping and cannot be confused by Unicode look-alikes.
type DeviceID string

// ParseDeviceID checks the form of s.
func ParseDeviceID(s string) (DeviceID, error) {
	if !validName(s) {
		return "", fmt.Errorf("%w: %q", ErrBadDeviceID, s)
	}
	return DeviceID(s), nil
}

// Valid reports whether id has the device-ID form.
func (id DeviceID) Valid() bool { return validName(string(id)) }

// validName is the shared form of device IDs, technician names and group names.
func validName(s string) bool {
	if len(s) < 3 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
		if !alnum && (c != '-' || i == 0 || i == len(s)-1) {
			return false
		}
	}
	return true
}

// ValidName reports whether s has the form of a device ID, technician name or
// group name.
func ValidName(s string) bool { return validName(s) }

// Fingerprint is the SHA-256 of a certificate's DER encoding: what the
// directory lists and what WebRTC's SDP a=fingerprint carries (RFC 8122 §5).
type Fingerprint [32]byte

// FingerprintOf hashes a DER certificate.
func FingerprintOf(der []byte) Fingerprint { return sha256.Sum256(der) }

// String is lowercase hex, the form used in files and logs.
func (f Fingerprint) String() string { return hex.EncodeToString(f[:]) }

// SDP is the form of an SDP a=fingerprint value for "sha-256": uppercase hex
// pairs separated by colons (RFC 8122 §5).
func (f Fingerprint) SDP() string {
	var b strings.Builder
	const digits = "0123456789ABCDEF"
	for i, c := range f {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteByte(digits[c>>4])
		b.WriteByte(digits[c&15])
	}
	return b.String()
}

// ParseFingerprint accepts the lowercase hex form or the SDP form (any case).
func ParseFingerprint(s string) (Fingerprint, error) {
	var f Fingerprint
	h := strings.ReplaceAll(s, ":", "")
	if len(h) != 64 || (strings.Contains(s, ":") && len(s) != 95) {
		return f, fmt.Errorf("%w: fingerprint %q", ErrMalformed, s)
	}
	if _, err := hex.Decode(f[:], []byte(strings.ToLower(h))); err != nil {
		return f, fmt.Errorf("%w: fingerprint %q", ErrMalformed, s)
	}
	return f, nil
}
