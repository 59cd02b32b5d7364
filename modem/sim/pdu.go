package sim

import (
	"encoding/hex"
	"strings"
	"time"
)

// SMSKind is the kind of short message a test delivers.
type SMSKind int

const (
	// SMSNormal is a plain text message: TP-PID 0x00, DCS 0x00 (GSM 7-bit).
	SMSNormal SMSKind = iota
	// SMSType0 is a "silent" short message type 0: TP-PID 0x40 (TS 23.040
	// §9.2.3.9), which a handset must acknowledge and discard unseen.
	SMSType0
	// SMSClass0 is a "flash" message: DCS 0x10, message class 0 (TS 23.038
	// §4), which a handset shows at once without storing.
	SMSClass0
)

func (k SMSKind) String() string {
	switch k {
	case SMSType0:
		return "type0"
	case SMSClass0:
		return "class0"
	}
	return "normal"
}

func (k SMSKind) pidDCS() (pid, dcs byte) {
	switch k {
	case SMSType0:
		return 0x40, 0x00
	case SMSClass0:
		return 0x00, 0x10
	}
	return 0x00, 0x00
}

// smsc is the service centre address the simulated network stamps.
const smsc = "+923000000092"

// deliverPDU builds an SMS-DELIVER TPDU (TS 23.040 §9.2.2.1) preceded by
// the service centre address, as +CMT shows it in PDU mode. It returns the
// hex text and the TPDU length in octets, which excludes the SCA
// (TS 27.005 §3.4.1).
func deliverPDU(from string, kind SMSKind, text string, ts time.Time) (string, int) {
	pid, dcs := kind.pidDCS()
	sca := address(smsc)
	var tpdu []byte
	// First octet: TP-MTI 00 (SMS-DELIVER), TP-MMS 1 (no more messages).
	tpdu = append(tpdu, 0x04)
	oa := address(from)
	// TP-OA: the length counts digits, not octets (§9.1.2.5).
	tpdu = append(tpdu, byte(len(strings.TrimPrefix(from, "+"))))
	tpdu = append(tpdu, oa[1:]...)
	tpdu = append(tpdu, pid, dcs)
	tpdu = append(tpdu, scts(ts)...)
	septets := gsm7(text)
	tpdu = append(tpdu, byte(len(septets)))
	tpdu = append(tpdu, pack7(septets)...)
	pdu := append(sca, tpdu...)
	return strings.ToUpper(hex.EncodeToString(pdu)), len(tpdu)
}

// address encodes a phone number as length, type of address and swapped
// semi-octets; the length here counts octets after itself, as the SCA
// wants (TS 24.011 §8.2.5.1); callers rewrite it for TP-OA.
func address(number string) []byte {
	toa := byte(0x81) // unknown numbering, ISDN plan
	digits := number
	if strings.HasPrefix(number, "+") {
		toa = 0x91 // international
		digits = number[1:]
	}
	bcd, _ := hex.DecodeString(swapBCD(digits, (len(digits)+1)/2))
	return append([]byte{byte(1 + len(bcd)), toa}, bcd...)
}

// scts encodes the service centre time stamp (§9.2.3.11) in the time zone
// of Pakistan, UTC+5, which is +20 quarter hours.
func scts(t time.Time) []byte {
	t = t.UTC().Add(5 * time.Hour)
	swap := func(v int) byte { return byte(v%10)<<4 | byte(v/10) }
	return []byte{
		swap(t.Year() % 100), swap(int(t.Month())), swap(t.Day()),
		swap(t.Hour()), swap(t.Minute()), swap(t.Second()), swap(20),
	}
}

// gsm7 maps text to the GSM 7-bit default alphabet (TS 23.038 §6.2.1).
// Characters outside the parts of it that ASCII shares become '?'.
func gsm7(s string) []byte {
	out := make([]byte, 0, len(s))
	for _, r := range s {
		switch {
		case r == '@':
			out = append(out, 0x00)
		case r == '$':
			out = append(out, 0x02)
		case r == '_':
			out = append(out, 0x11)
		case r == '\n':
			out = append(out, 0x0a)
		case r == '\r':
			out = append(out, 0x0d)
		case r == ' ', r == '!', r == '"', r == '#', '%' <= r && r <= '?', 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z':
			out = append(out, byte(r))
		default:
			out = append(out, '?')
		}
		if len(out) == 160 {
			break
		}
	}
	return out
}

// pack7 packs septets into octets, least significant bits first (§6.1.2.1).
func pack7(septets []byte) []byte {
	out := make([]byte, 0, (len(septets)*7+7)/8)
	var acc uint32
	bits := 0
	for _, s := range septets {
		acc |= uint32(s&0x7f) << bits
		bits += 7
		for bits >= 8 {
			out = append(out, byte(acc))
			acc >>= 8
			bits -= 8
		}
	}
	if bits > 0 {
		out = append(out, byte(acc))
	}
	return out
}
