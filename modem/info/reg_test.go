package info

import (
	"errors"
	"testing"
)

func TestParseReg(t *testing.T) {
	for _, c := range []struct {
		line string
		want Reg
	}{
		// URCs: <stat> alone, then with location, AcT and causes.
		{`+CREG: 5`, Reg{Cmd: "+CREG", N: -1, Stat: RegRoaming, AcT: AcTNone, RAC: -1, CauseType: -1, RejectCause: -1}},
		{`+CEREG: 1,"1A2B","01ABCDEF",7`, Reg{Cmd: "+CEREG", N: -1, Stat: RegHome, Area: 0x1a2b, Cell: 0x1abcdef, HasCell: true, AcT: AcTEUTRAN, RAC: -1, CauseType: -1, RejectCause: -1}},
		{`+CEREG: 3,"1A2B","01ABCDEF",7,0,15`, Reg{Cmd: "+CEREG", N: -1, Stat: RegDenied, Area: 0x1a2b, Cell: 0x1abcdef, HasCell: true, AcT: AcTEUTRAN, RAC: -1, CauseType: 0, RejectCause: 15}},
		{`+CEREG: 2,"","",,0,3`, Reg{Cmd: "+CEREG", N: -1, Stat: RegSearching, AcT: AcTNone, RAC: -1, CauseType: 0, RejectCause: 3}},
		{`+CGREG: 1,"00C3","0000A13F",3,"2F"`, Reg{Cmd: "+CGREG", N: -1, Stat: RegHome, Area: 0xc3, Cell: 0xa13f, HasCell: true, AcT: AcTGSMEGPRS, RAC: 0x2f, CauseType: -1, RejectCause: -1}},
		{`+CREG: 1,"00C3","0000A13F",0`, Reg{Cmd: "+CREG", N: -1, Stat: RegHome, Area: 0xc3, Cell: 0xa13f, HasCell: true, AcT: AcTGSM, RAC: -1, CauseType: -1, RejectCause: -1}},
		// Read responses: <n>,<stat>...
		{`+CREG: 0,1`, Reg{Cmd: "+CREG", Solicited: true, N: 0, Stat: RegHome, AcT: AcTNone, RAC: -1, CauseType: -1, RejectCause: -1}},
		{`+CEREG: 2,1,"1A2B","01ABCDEF",7`, Reg{Cmd: "+CEREG", Solicited: true, N: 2, Stat: RegHome, Area: 0x1a2b, Cell: 0x1abcdef, HasCell: true, AcT: AcTEUTRAN, RAC: -1, CauseType: -1, RejectCause: -1}},
		{`+CEREG: 5,3,"1A2B","01ABCDEF",7,0,11,,`, Reg{Cmd: "+CEREG", Solicited: true, N: 5, Stat: RegDenied, Area: 0x1a2b, Cell: 0x1abcdef, HasCell: true, AcT: AcTEUTRAN, RAC: -1, CauseType: 0, RejectCause: 11}},
		{`+CGREG: 2,5,"00C3","0000A13F",6,"2F"`, Reg{Cmd: "+CGREG", Solicited: true, N: 2, Stat: RegRoaming, Area: 0xc3, Cell: 0xa13f, HasCell: true, AcT: AcTHSPA, RAC: 0x2f, CauseType: -1, RejectCause: -1}},
		// A modem that sends location unquoted, and one with lower-case hex.
		{`+CREG: 2,1,1A2B,01ABCDEF`, Reg{Cmd: "+CREG", Solicited: true, N: 2, Stat: RegHome, Area: 0x1a2b, Cell: 0x1abcdef, HasCell: true, AcT: AcTNone, RAC: -1, CauseType: -1, RejectCause: -1}},
		{`+CEREG: 1,"3afd","01a2b3c",7`, Reg{Cmd: "+CEREG", N: -1, Stat: RegHome, Area: 0x3afd, Cell: 0x1a2b3c, HasCell: true, AcT: AcTEUTRAN, RAC: -1, CauseType: -1, RejectCause: -1}},
		// 5G: a 3-byte TAC and a 36-bit NR cell identity.
		{`+C5GREG: 1,"00A1B2","0123456789",11`, Reg{Cmd: "+C5GREG", N: -1, Stat: RegHome, Area: 0xa1b2, Cell: 0x123456789, HasCell: true, AcT: AcTNR5GCN, RAC: -1, CauseType: -1, RejectCause: -1}},
	} {
		got, err := ParseReg(c.line)
		if err != nil {
			t.Errorf("ParseReg(%s): %v", c.line, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParseReg(%s)\n got %+v\nwant %+v", c.line, got, c.want)
		}
	}
}

func TestParseRegRejects(t *testing.T) {
	for _, line := range []string{
		`+CREG:`, `+CREG: 12`, `+CREG: x`, `+COPS: 0`, `+CEREG: 1,"1A2B`, `+CEREG: 1,"ZZ","01",7`,
		`+CEREG: 1,"1A2B","01ABCDEF",14`, `+CREG: 6,1`, `+CEREG: 1,"1234567","01",7`, `CEREG: 1`,
		`+CEREG: 1,"1A2B","0123456789A",7`, `+CEREG: 1,"1A2B","01",7,2,3`,
	} {
		if _, err := ParseReg(line); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseReg(%s) = %v, want ErrSyntax", line, err)
		}
	}
}

func TestRegStatAndAcT(t *testing.T) {
	if !RegHome.Registered() || !RegRoaming.Registered() || RegDenied.Registered() || RegSMSOnlyHome.Registered() {
		t.Error("Registered()")
	}
	if !RegRoaming.Roaming() || RegHome.Roaming() {
		t.Error("Roaming()")
	}
	for a, want := range map[AcT]string{AcTGSM: "GSM", AcTGSMEGPRS: "GSM", AcTHSPA: "UMTS", AcTEUTRAN: "LTE", AcTNR5GCN: "NR", AcTNone: ""} {
		if a.RAT() != want {
			t.Errorf("%d.RAT() = %q, want %q", a, a.RAT(), want)
		}
	}
	if !AcTGSMEGPRS.Is2G() || AcTEUTRAN.Is2G() || AcTUTRAN.Is2G() {
		t.Error("Is2G()")
	}
	if RegStat(3).String() != "denied" || RegStat(42).String() != "invalid" {
		t.Error("String()")
	}
}

func FuzzParseReg(f *testing.F) {
	for _, s := range []string{`+CREG: 5`, `+CEREG: 2,1,"1A2B","01ABCDEF",7`, `+CGREG: 3,"00C3","0000A13F",7,"01",0,15`, `+C5GREG: 1,"00A1B2","0123456789",11,,,0,1`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		r, err := ParseReg(line)
		if err != nil {
			return
		}
		if r.Stat < 0 || r.Stat > 11 || r.AcT < -1 || r.AcT > 13 || r.N < -1 || r.N > 5 {
			t.Fatalf("out of range: %+v", r)
		}
		if r.Area > 0xffffff || r.Cell > 0xfffffffff {
			t.Fatalf("location out of range: %+v", r)
		}
		if r.Solicited != (r.N >= 0) {
			t.Fatalf("solicited without <n>: %+v", r)
		}
	})
}
