package info

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// CMT is the header of a +CMT URC in PDU mode (TS 27.005 §3.4.1):
// "+CMT: [<alpha>],<length>", where length counts the TPDU's octets (the
// SMSC address in front of it is not counted).
type CMT struct {
	Alpha  string
	Length int
}

// ParseCMT parses the +CMT header line.
func ParseCMT(line string) (CMT, error) {
	b, err := body(line, "+CMT")
	if err != nil {
		return CMT{}, err
	}
	fs, err := fields(b)
	if err != nil {
		return CMT{}, err
	}
	if len(fs) != 2 {
		return CMT{}, syntaxErr("want [<alpha>],<length> (PDU mode)", line)
	}
	c := CMT{Alpha: unquote(fs[0])}
	if c.Length, err = num(fs[1], 1, 175, "length", line); err != nil {
		return CMT{}, err
	}
	return c, nil
}

// Deliver is what the handset needs of an SMS-DELIVER TPDU (TS 23.040
// §9.2.2.1) to refuse it and say why: it never shows or stores the text.
type Deliver struct {
	SMSC       string // service centre address digits, "" if absent
	Originator string // TP-OA digits, or the decoded alphanumeric sender
	PID        byte   // TP-PID (§9.2.3.9)
	DCS        DCS    // TP-DCS (TS 23.038 §4)
	UDHI       bool   // a user data header is present (concatenation, ports, OTA)
	UDL        int    // TP-UDL as sent
}

// Type0 reports a "silent" Short Message Type 0 (TP-PID 0x40): the phone
// must acknowledge and discard it without telling the user, which is how a
// network or an attacker pings a handset to locate it.
func (d Deliver) Type0() bool { return d.PID == 0x40 }

// SIMDownload reports TP-PID 0x7F, (U)SIM data download: a message for the
// SIM card itself (OTA commands), the vector of SIM toolkit attacks.
func (d Deliver) SIMDownload() bool { return d.PID == 0x7f }

// DCS is a decoded TP-Data-Coding-Scheme.
type DCS struct {
	Raw        byte
	Class      int    // message class 0 to 3; -1 if the DCS gives none
	Alphabet   string // "gsm7", "8bit", "ucs2", "reserved"
	Compressed bool
	AutoDelete bool // the "marked for automatic deletion" group
	MWI        bool // a message waiting indication group
	Discard    bool // the MWI "discard message" group
}

// DecodeDCS decodes a TP-DCS octet (TS 23.038 §4).
func DecodeDCS(b byte) DCS {
	d := DCS{Raw: b, Class: -1, Alphabet: "gsm7"}
	alpha := func(bits byte) string {
		return [...]string{"gsm7", "8bit", "ucs2", "reserved"}[bits&3]
	}
	switch hi := b >> 4; {
	case hi < 8: // 00xx xxxx general data coding; 01xx xxxx the same, marked for automatic deletion
		d.AutoDelete = hi >= 4
		d.Compressed = b&0x20 != 0
		d.Alphabet = alpha(b >> 2)
		if b&0x10 != 0 {
			d.Class = int(b & 3)
		}
	case hi >= 8 && hi <= 0xb: // reserved coding groups
		d.Alphabet = "reserved"
	case hi == 0xc: // MWI group: discard message, GSM 7-bit
		d.MWI, d.Discard = true, true
	case hi == 0xd: // MWI group: store message, GSM 7-bit
		d.MWI = true
	case hi == 0xe: // MWI group: store message, UCS2
		d.MWI, d.Alphabet = true, "ucs2"
	default: // 1111 xxxx data coding / message class
		if b&4 != 0 {
			d.Alphabet = "8bit"
		}
		d.Class = int(b & 3)
	}
	return d
}

// DecodeDeliver decodes the hex PDU line of a +CMT URC: the SMSC address
// (TS 24.011 §8.2.5.1) then the SMS-DELIVER TPDU. length is the header's
// <length>; 0 skips that check. Every length is checked against what is
// there, so a short or lying PDU is an error, never a panic.
func DecodeDeliver(pduHex string, length int) (Deliver, error) {
	pdu, err := hex.DecodeString(strings.TrimSpace(pduHex))
	if err != nil {
		return Deliver{}, fmt.Errorf("%w: SMS PDU is not hex: %v", ErrSyntax, err)
	}
	if len(pdu) > 200 {
		return Deliver{}, fmt.Errorf("%w: SMS PDU of %d octets", ErrSyntax, len(pdu))
	}
	r := pduReader{b: pdu}
	var d Deliver
	scaLen := int(r.byte())
	if scaLen > 0 {
		if scaLen > 11 {
			return Deliver{}, r.fail("SMSC address length %d", scaLen)
		}
		toa := r.byte()
		d.SMSC = semiOctets(r.take(scaLen-1), 2*(scaLen-1), toa)
	}
	tpdu := r.i
	if r.err == nil && length > 0 && len(pdu)-tpdu != length {
		return Deliver{}, r.fail("TPDU is %d octets, the header says %d", len(pdu)-tpdu, length)
	}
	first := r.byte()
	if r.err == nil && first&3 != 0 {
		return Deliver{}, r.fail("TP-MTI %d is not SMS-DELIVER", first&3)
	}
	d.UDHI = first&0x40 != 0
	oaDigits := int(r.byte()) // TP-OA length counts useful semi-octets
	if oaDigits > 20 {
		return Deliver{}, r.fail("TP-OA length %d", oaDigits)
	}
	oaTOA := r.byte()
	oa := r.take((oaDigits + 1) / 2)
	if (oaTOA>>4)&7 == 5 { // type of number 101: alphanumeric, GSM 7-bit packed
		d.Originator = unpack7(oa, oaDigits*4/7)
	} else {
		d.Originator = semiOctets(oa, oaDigits, oaTOA)
	}
	d.PID = r.byte()
	d.DCS = DecodeDCS(r.byte())
	r.take(7) // TP-SCTS
	d.UDL = int(r.byte())
	if r.err != nil {
		return Deliver{}, r.err
	}
	want := d.UDL
	if d.DCS.Alphabet == "gsm7" && !d.DCS.Compressed {
		want = (d.UDL*7 + 7) / 8
	}
	if got := len(pdu) - r.i; want > 140 || got != want {
		return Deliver{}, r.fail("user data is %d octets, TP-UDL %d says %d", got, d.UDL, want)
	}
	return d, nil
}

type pduReader struct {
	b   []byte
	i   int
	err error
}

func (r *pduReader) fail(format string, a ...any) error {
	if r.err == nil {
		r.err = fmt.Errorf("%w: SMS PDU: "+format, append([]any{ErrSyntax}, a...)...)
	}
	return r.err
}

func (r *pduReader) byte() byte {
	if b := r.take(1); len(b) == 1 {
		return b[0]
	}
	return 0
}

func (r *pduReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || r.i+n > len(r.b) {
		r.fail("truncated at octet %d", r.i)
		return nil
	}
	b := r.b[r.i : r.i+n]
	r.i += n
	return b
}

// semiOctets decodes swapped BCD digits (TS 23.040 §9.1.2.3); an
// international number gets its "+".
func semiOctets(b []byte, n int, toa byte) string {
	const digits = "0123456789*#abc"
	var s strings.Builder
	if (toa>>4)&7 == 1 {
		s.WriteByte('+')
	}
	for i := 0; i < n && i/2 < len(b); i++ {
		v := b[i/2] & 0xf
		if i%2 == 1 {
			v = b[i/2] >> 4
		}
		if v == 0xf {
			break
		}
		s.WriteByte(digits[v])
	}
	return s.String()
}

// unpack7 unpacks n GSM 7-bit characters (TS 23.038 §6.1.2.1), keeping
// printable ASCII and replacing the rest with '?': the sender is evidence
// in an alert, not text to render faithfully.
func unpack7(b []byte, n int) string {
	var s strings.Builder
	for i := range n {
		bit := i * 7
		if bit/8 >= len(b) {
			break
		}
		v := uint16(b[bit/8]) >> (bit % 8)
		if bit%8 > 1 && bit/8+1 < len(b) {
			v |= uint16(b[bit/8+1]) << (8 - bit%8)
		}
		c := byte(v & 0x7f)
		if c == 0 {
			c = '@' // GSM 7-bit 0x00 is '@'
		}
		if c < 0x20 || c > 0x7e {
			c = '?'
		}
		s.WriteByte(c)
	}
	return s.String()
}
