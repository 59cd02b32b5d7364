package info

import "strings"

// ParseIMSI parses the answer to AT+CIMI (TS 27.007 §7.1): the IMSI alone on
// a line, 6 to 15 digits (TS 23.003 §2.2). Some modems prefix "+CIMI: ".
func ParseIMSI(line string) (string, error) {
	s := strings.TrimSpace(line)
	if b, err := body(s, "+CIMI"); err == nil {
		s = unquote(b)
	}
	if !isDigits(s) || len(s) < 6 || len(s) > 15 {
		return "", syntaxErr("IMSI: want 6 to 15 digits", line)
	}
	return s, nil
}

// ParseICCID parses the SIM's ICCID (ITU-T E.118, 18 to 20 digits, the last
// one a Luhn check digit) from the answer to AT+CCID, AT+QCCID (Quectel),
// AT+ICCID or a bare line. An 'F' pad nibble at the end is dropped.
func ParseICCID(line string) (string, error) {
	s := strings.TrimSpace(line)
	for _, p := range []string{"+CCID", "+QCCID", "+ICCID", "^ICCID"} {
		if b, err := body(s, p); err == nil {
			s = unquote(b)
			break
		}
	}
	s = strings.TrimRight(s, "Ff")
	if !isDigits(s) || len(s) < 18 || len(s) > 20 {
		return "", syntaxErr("ICCID: want 18 to 20 digits", line)
	}
	return s, nil
}

// ParseIMEI parses the answer to AT+CGSN (TS 27.007 §5.4): 15 digits (the
// IMEI, TS 23.003 §6.2.1) or 16 (IMEISV), bare or as "+CGSN: <sn>".
func ParseIMEI(line string) (string, error) {
	s := strings.TrimSpace(line)
	if b, err := body(s, "+CGSN"); err == nil {
		s = unquote(b)
	}
	if !isDigits(s) || (len(s) != 15 && len(s) != 16) {
		return "", syntaxErr("IMEI: want 15 or 16 digits", line)
	}
	return s, nil
}

// Luhn reports whether the digit string s ends in a valid Luhn check digit,
// as an IMEI and an ICCID do.
func Luhn(s string) bool {
	if !isDigits(s) || len(s) < 2 {
		return false
	}
	sum := 0
	for i := len(s) - 1; i >= 0; i-- {
		d := int(s[i] - '0')
		if (len(s)-1-i)%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// Mask keeps the first keep and the last tail characters of an identity and
// stars the rest, so the UI and logs can tell SIMs apart without holding a
// full IMSI or ICCID: Mask("410011234567890", 5, 3) = "41001*******890".
func Mask(s string, keep, tail int) string {
	if len(s) <= keep+tail {
		return strings.Repeat("*", len(s))
	}
	return s[:keep] + strings.Repeat("*", len(s)-keep-tail) + s[len(s)-tail:]
}
