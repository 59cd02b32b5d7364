package at

import (
	"errors"
	"fmt"
	"strings"
)

// Quote returns s as a V.250 string constant (§5.4.2.2): in double quotes,
// with the quote, the backslash and every byte outside printable ASCII
// written as a backslash and two hex digits. A parameter built this way cannot
// end the string early or inject a second command (";", "\r").
func Quote(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			b.WriteByte('\\')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
			continue
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

// ErrBadAPN is returned by CheckAPN.
var ErrBadAPN = errors.New("invalid APN")

// CheckAPN validates an APN network identifier (TS 23.003 §9.1.1): labels of
// letters, digits and hyphens, separated by dots, each 1 to 63 characters
// long and neither starting nor ending with a hyphen, at most 100 characters
// in all, and not ending in ".gprs" (that suffix belongs to the operator
// identifier the network appends). An empty APN is refused too: on LTE it
// would attach to the network's default, public, PDN.
func CheckAPN(apn string) error {
	switch {
	case apn == "":
		return fmt.Errorf("%w: empty", ErrBadAPN)
	case len(apn) > 100:
		return fmt.Errorf("%w: %d characters, at most 100", ErrBadAPN, len(apn))
	case strings.HasSuffix(strings.ToLower(apn), ".gprs"):
		return fmt.Errorf("%w: %q ends in .gprs", ErrBadAPN, apn)
	}
	for label := range strings.SplitSeq(apn, ".") {
		if len(label) == 0 || len(label) > 63 {
			return fmt.Errorf("%w: %q has an empty or over-long label", ErrBadAPN, apn)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("%w: %q has a label starting or ending with '-'", ErrBadAPN, apn)
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return fmt.Errorf("%w: %q has the character %q", ErrBadAPN, apn, c)
			}
		}
	}
	return nil
}
