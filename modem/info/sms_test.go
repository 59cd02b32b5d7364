package info

import (
	"errors"
	"testing"
)

// PDUs built from TS 23.040 §9.2.2.1 by hand: SMSC +923000000009, sender
// +923001234567, timestamp 2026-11-28 12:00:00.
const (
	pduType0   = "0791290300000090040C9129031032547640006211822100000000"
	pduClass0  = "0791290300000090040C9129031032547600106211822100000005C8329BFD06"
	pduPlain   = "0791290300000090040C9129031032547600006211822100000005C8329BFD06"
	pduFlashF0 = "0791290300000090040C9129031032547600F06211822100000002C834"
	pduSIMDL   = "0791290300000090040C912903103254767FF66211822100000000"
	pduAlpha   = "07912903000000900407D0CAB05E0F00006211822100000002C834"
)

func TestDecodeDeliver(t *testing.T) {
	for _, c := range []struct {
		name     string
		pdu      string
		length   int
		type0    bool
		class    int
		simdl    bool
		orig     string
		alphabet string
	}{
		{"type 0 (silent)", pduType0, 19, true, -1, false, "+923001234567", "gsm7"},
		{"class 0 (flash) in the general group", pduClass0, 24, false, 0, false, "+923001234567", "gsm7"},
		{"plain", pduPlain, 24, false, -1, false, "+923001234567", "gsm7"},
		{"class 0 in the F0 group", pduFlashF0, 21, false, 0, false, "+923001234567", "gsm7"},
		{"SIM data download", pduSIMDL, 19, false, 2, true, "+923001234567", "8bit"},
		{"alphanumeric sender", pduAlpha, 19, false, -1, false, "Jazz", "gsm7"},
	} {
		d, err := DecodeDeliver(c.pdu, c.length)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if d.Type0() != c.type0 || d.DCS.Class != c.class || d.SIMDownload() != c.simdl || d.Originator != c.orig || d.DCS.Alphabet != c.alphabet || d.SMSC != "+923000000009" {
			t.Errorf("%s: %+v", c.name, d)
		}
	}
}

func TestDecodeDeliverRejects(t *testing.T) {
	for name, c := range map[string]struct {
		pdu    string
		length int
	}{
		"not hex":            {"07ZZ", 0},
		"empty":              {"", 0},
		"truncated":          {pduPlain[:40], 0},
		"length lies":        {pduPlain, 23},
		"user data too long": {pduPlain + "00", 0},
		"user data short":    {pduPlain[:len(pduPlain)-2], 0},
		"SMS-SUBMIT":         {"0791290300000090010C9129031032547600006211822100000000", 0},
		"SMSC too long":      {"0C91" + pduPlain[4:], 0},
		"OA too long":        {"079129030000009004FF91", 0},
	} {
		if _, err := DecodeDeliver(c.pdu, c.length); !errors.Is(err, ErrSyntax) {
			t.Errorf("%s: err = %v, want ErrSyntax", name, err)
		}
	}
}

func TestDecodeDCS(t *testing.T) {
	for b, want := range map[byte]DCS{
		0x00: {Raw: 0x00, Class: -1, Alphabet: "gsm7"},
		0x10: {Raw: 0x10, Class: 0, Alphabet: "gsm7"},
		0x18: {Raw: 0x18, Class: 0, Alphabet: "ucs2"},
		0x08: {Raw: 0x08, Class: -1, Alphabet: "ucs2"},
		0x50: {Raw: 0x50, Class: 0, Alphabet: "gsm7", AutoDelete: true},
		0xc0: {Raw: 0xc0, Class: -1, Alphabet: "gsm7", MWI: true, Discard: true},
		0xd8: {Raw: 0xd8, Class: -1, Alphabet: "gsm7", MWI: true},
		0xe0: {Raw: 0xe0, Class: -1, Alphabet: "ucs2", MWI: true},
		0xf0: {Raw: 0xf0, Class: 0, Alphabet: "gsm7"},
		0xf5: {Raw: 0xf5, Class: 1, Alphabet: "8bit"},
		0x90: {Raw: 0x90, Class: -1, Alphabet: "reserved"},
	} {
		if got := DecodeDCS(b); got != want {
			t.Errorf("DecodeDCS(%#x) = %+v, want %+v", b, got, want)
		}
	}
}

func TestParseCMT(t *testing.T) {
	if c, err := ParseCMT("+CMT: ,24"); err != nil || c != (CMT{Length: 24}) {
		t.Errorf("ParseCMT = %+v, %v", c, err)
	}
	if c, err := ParseCMT(`+CMT: "Jazz",19`); err != nil || c.Alpha != "Jazz" {
		t.Errorf("ParseCMT alpha = %+v, %v", c, err)
	}
	for _, bad := range []string{"+CMT: ,0", "+CMT: ,999", `+CMT: "+923001234567",,"26/11/28,12:00:00+20"`, "+CMT:"} {
		if _, err := ParseCMT(bad); err == nil {
			t.Errorf("ParseCMT(%s) accepted", bad)
		}
	}
}
