package info

import (
	"errors"
	"strings"
	"testing"
)

// Every parser gets a fuzz target: none may panic, every failure wraps
// ErrSyntax, and what they accept stays in range. (FuzzParseReg is in
// reg_test.go.)

func checkErr(t *testing.T, err error) {
	t.Helper()
	if err != nil && !errors.Is(err, ErrSyntax) {
		t.Fatalf("error %v does not wrap ErrSyntax", err)
	}
}

func seeds(f *testing.F, s ...string) {
	for _, x := range s {
		f.Add(x)
	}
}

func FuzzParseCPIN(f *testing.F) {
	seeds(f, "+CPIN: READY", "+CPIN: SIM PIN", `+CPIN: "NOT INSERTED"`)
	f.Fuzz(func(t *testing.T, line string) {
		c, err := ParseCPIN(line)
		checkErr(t, err)
		if err == nil && (c.State < SIMReady || c.State > SIMNotReady) {
			t.Fatalf("state %d", c.State)
		}
	})
}

func FuzzParseCOPS(f *testing.F) {
	seeds(f, `+COPS: 0,2,"41001",7`, `+COPS: 0`, `+COPS: 0,0,"Ufone, PK",7`)
	f.Fuzz(func(t *testing.T, line string) {
		c, err := ParseCOPS(line)
		checkErr(t, err)
		if err == nil {
			if c.Mode < 0 || c.Mode > 4 || c.AcT < -1 || c.AcT > 13 {
				t.Fatalf("out of range: %+v", c)
			}
			if c.Format == 2 {
				if _, err := c.PLMN(); err != nil {
					t.Fatalf("numeric operator %q accepted but not a PLMN", c.Oper)
				}
			}
		}
	})
}

func FuzzParseCOPSList(f *testing.F) {
	seeds(f, `+COPS: (2,"Jazz","Jazz","41001",7),(1,"ZONG","ZONG","41004",7),,(0-4),(0-2)`, `+COPS: ,,(0-4),(0-2)`)
	f.Fuzz(func(t *testing.T, line string) {
		ns, err := ParseCOPSList(line)
		checkErr(t, err)
		if len(ns) > 64 {
			t.Fatalf("%d networks", len(ns))
		}
	})
}

func FuzzParseCSQ(f *testing.F) {
	seeds(f, "+CSQ: 20,99", "+CSQ: 99,99", "+CSQ: 0,7")
	f.Fuzz(func(t *testing.T, line string) {
		s, err := ParseCSQ(line)
		checkErr(t, err)
		if err == nil && (s.RSSI < -113 || s.RSSI > 0 || s.Bars() < 0 || s.Bars() > 5) {
			t.Fatalf("out of range: %+v", s)
		}
	})
}

func FuzzParseCESQ(f *testing.F) {
	seeds(f, "+CESQ: 99,99,255,255,20,45", "+CESQ: 40,0,255,255,255,255")
	f.Fuzz(func(t *testing.T, line string) {
		s, err := ParseCESQ(line)
		checkErr(t, err)
		if err == nil && (s.RSRP != 0 && (s.RSRP < -141 || s.RSRP > -44) || s.RSRQ != 0 && (s.RSRQ < -20 || s.RSRQ > -3)) {
			t.Fatalf("out of range: %+v", s)
		}
	})
}

func FuzzParseCGDCONT(f *testing.F) {
	seeds(f, `+CGDCONT: 1,"IPV4V6","gov.secure.pk","0.0.0.0",0,0,0,0`, `+CGDCONT: 3,"IP","ims"`)
	f.Fuzz(func(t *testing.T, line string) {
		c, err := ParseCGDCONT(line)
		checkErr(t, err)
		if err == nil && (c.CID < 0 || c.CID > 255 || len(c.APN) > 100) {
			t.Fatalf("out of range: %+v", c)
		}
	})
}

func FuzzParseCGACT(f *testing.F) {
	seeds(f, "+CGACT: 1,1", "+CGACT: 2,0")
	f.Fuzz(func(t *testing.T, line string) {
		cid, _, err := ParseCGACT(line)
		checkErr(t, err)
		if err == nil && (cid < 0 || cid > 255) {
			t.Fatalf("cid %d", cid)
		}
	})
}

func FuzzParseCGPADDR(f *testing.F) {
	seeds(f, `+CGPADDR: 1,"10.45.3.7","32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.1"`, `+CGPADDR: 1,"2001:DB8::1"`)
	f.Fuzz(func(t *testing.T, line string) {
		_, addrs, err := ParseCGPADDR(line)
		checkErr(t, err)
		for _, a := range addrs {
			if !a.IsValid() || a.IsUnspecified() {
				t.Fatalf("address %v", a)
			}
		}
	})
}

func FuzzParseCGCONTRDP(f *testing.F) {
	seeds(f, `+CGCONTRDP: 1,5,"gov.secure.pk","10.45.3.7.255.255.255.0","10.45.3.1","10.0.0.53","10.0.0.54","0.0.0.0","0.0.0.0",0,0,1400`)
	f.Fuzz(func(t *testing.T, line string) {
		d, err := ParseCGCONTRDP(line)
		checkErr(t, err)
		if err == nil && (len(d.DNS) > 2 || d.Addr.IsValid() && d.Addr.Bits() > d.Addr.Addr().BitLen()) {
			t.Fatalf("out of range: %+v", d)
		}
	})
}

func FuzzParseCGEV(f *testing.F) {
	seeds(f, "+CGEV: NW PDN DEACT 1", `+CGEV: NW DEACT "IP","10.45.3.7",1`, "+CGEV: ME DETACH")
	f.Fuzz(func(t *testing.T, line string) {
		e, err := ParseCGEV(line)
		checkErr(t, err)
		if err == nil && (e.CID < -1 || e.CID > 255 || e.Event == "") {
			t.Fatalf("out of range: %+v", e)
		}
	})
}

func FuzzParseIdentity(f *testing.F) {
	seeds(f, "410011234567890", "+QCCID: 8992010000123456789F", `+CGSN: "356938035643809"`)
	f.Fuzz(func(t *testing.T, line string) {
		for _, parse := range []func(string) (string, error){ParseIMSI, ParseICCID, ParseIMEI} {
			s, err := parse(line)
			checkErr(t, err)
			if err == nil && (!isDigits(s) || len(s) > 20) {
				t.Fatalf("identity %q", s)
			}
		}
		_ = Luhn(line)
		if m := Mask(line, 5, 3); len(m) != len(line) {
			t.Fatalf("Mask changed the length")
		}
	})
}

func FuzzParseCFUN(f *testing.F) {
	seeds(f, "+CFUN: 1", "+CFUN: 4,0")
	f.Fuzz(func(t *testing.T, line string) {
		n, err := ParseCFUN(line)
		checkErr(t, err)
		if err == nil && (n < 0 || n > 127) {
			t.Fatalf("fun %d", n)
		}
	})
}

func FuzzParseCEER(f *testing.F) {
	seeds(f, `+CEER: "EMM attach reject",7`, "+CEER: Normal call clearing")
	f.Fuzz(func(t *testing.T, line string) {
		c, err := ParseCEER(line)
		checkErr(t, err)
		if err == nil && (c.Cause < -1 || c.Cause > 65535) {
			t.Fatalf("cause %d", c.Cause)
		}
	})
}

func FuzzParseQENG(f *testing.F) {
	seeds(f, `+QENG: "servingcell","NOCONN","LTE","FDD",410,01,1452808,315,1300,3,5,5,3AFD,-104,-11,-78,12,20`,
		`+QENG: "servingcell","SEARCH"`,
		`+QENG: "servingcell","NOCONN","WCDMA",410,03,2B5C,A1B2C,10713,301,1,-85,-6,-,-,-,-,-`)
	f.Fuzz(func(t *testing.T, line string) {
		c, err := ParseQENG(line)
		checkErr(t, err)
		if err == nil && c.RAT != "" && (len(c.PLMN.MCC) != 3 || c.Cell > 0xffffffffff) {
			t.Fatalf("out of range: %+v", c)
		}
	})
}

func FuzzDecodeDeliver(f *testing.F) {
	for _, p := range []string{pduType0, pduClass0, pduPlain, pduFlashF0, pduSIMDL, pduAlpha} {
		f.Add(p, 0)
	}
	f.Add("+CMT: ,24", 24)
	f.Fuzz(func(t *testing.T, pdu string, length int) {
		if strings.HasPrefix(pdu, "+CMT") {
			_, err := ParseCMT(pdu)
			checkErr(t, err)
			return
		}
		d, err := DecodeDeliver(pdu, length)
		checkErr(t, err)
		if err == nil && (d.DCS.Class < -1 || d.DCS.Class > 3 || d.UDL > 255 || len(d.Originator) > 21) {
			t.Fatalf("out of range: %+v", d)
		}
	})
}
