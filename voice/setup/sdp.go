package setup

import (
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/pion/sdp/v3"
)

// CheckSDPFingerprint requires every a=fingerprint line of sd, at session and
// media level, to be SHA-256 of the certificate fp names (RFC 8122 section 5),
// and at least one to exist. A peer that presented any other certificate in
// DTLS would then fail pion's own fingerprint check.
func CheckSDPFingerprint(sd string, fp [FingerprintLen]byte) error {
	var s sdp.SessionDescription
	if err := s.UnmarshalString(sd); err != nil {
		return fmt.Errorf("%w: SDP: %v", ErrMalformed, err)
	}
	attrs := append([]sdp.Attribute(nil), s.Attributes...)
	for _, md := range s.MediaDescriptions {
		attrs = append(attrs, md.Attributes...)
	}
	n := 0
	for _, a := range attrs {
		if a.Key != "fingerprint" {
			continue
		}
		n++
		got, err := parseFingerprint(a.Value)
		if err != nil {
			return err
		}
		if subtle.ConstantTimeCompare(got[:], fp[:]) != 1 {
			return fmt.Errorf("%w: a=fingerprint %s", ErrFingerprint, a.Value)
		}
	}
	if n == 0 {
		return fmt.Errorf("%w: no a=fingerprint line", ErrFingerprint)
	}
	return nil
}

// parseFingerprint reads "sha-256 AB:CD:...".
func parseFingerprint(v string) ([FingerprintLen]byte, error) {
	var fp [FingerprintLen]byte
	alg, hexed, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || !strings.EqualFold(alg, "sha-256") {
		return fp, fmt.Errorf("%w: a=fingerprint %q is not SHA-256", ErrFingerprint, v)
	}
	raw, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(hexed), ":", ""))
	if err != nil || len(raw) != FingerprintLen {
		return fp, fmt.Errorf("%w: a=fingerprint %q", ErrFingerprint, v)
	}
	copy(fp[:], raw)
	return fp, nil
}

// FormatFingerprint writes fp as an SDP fingerprint value.
func FormatFingerprint(fp [FingerprintLen]byte) string {
	var b strings.Builder
	b.WriteString("sha-256 ")
	for i, c := range fp {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}
