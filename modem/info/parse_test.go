package info

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"
)

func TestParseCPIN(t *testing.T) {
	for line, want := range map[string]SIMState{
		"+CPIN: READY": SIMReady, "+CPIN: SIM PIN": SIMPIN, "+CPIN: SIM PUK": SIMPUK,
		"+CPIN: NOT INSERTED": SIMAbsent, `+CPIN: "NOT READY"`: SIMNotReady, "+CPIN: PH-NET PIN": SIMLocked,
		"+CPIN: sim pin2": SIMLocked, " +CPIN:READY ": SIMReady,
	} {
		got, err := ParseCPIN(line)
		if err != nil || got.State != want {
			t.Errorf("ParseCPIN(%q) = %v, %v; want %v", line, got.State, err, want)
		}
	}
	for _, bad := range []string{"+CPIN:", "+CPIN: MAYBE", "CPIN: READY", "+CPINX: READY"} {
		if _, err := ParseCPIN(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseCPIN(%q) = %v, want ErrSyntax", bad, err)
		}
	}
}

func TestParseCOPS(t *testing.T) {
	for line, want := range map[string]COPS{
		`+COPS: 0,2,"41001",7`:      {Mode: 0, Format: 2, Oper: "41001", AcT: AcTEUTRAN},
		`+COPS: 0,0,"Jazz",7`:       {Mode: 0, Format: 0, Oper: "Jazz", AcT: AcTEUTRAN},
		`+COPS: 1,2,"41006"`:        {Mode: 1, Format: 2, Oper: "41006", AcT: AcTNone},
		`+COPS: 0`:                  {Mode: 0, Format: -1, AcT: AcTNone},
		`+COPS: 2`:                  {Mode: 2, Format: -1, AcT: AcTNone},
		`+COPS: 0,2,"310260",3`:     {Mode: 0, Format: 2, Oper: "310260", AcT: AcTGSMEGPRS},
		`+COPS: 0,1,"ZONG 4G",7`:    {Mode: 0, Format: 1, Oper: "ZONG 4G", AcT: AcTEUTRAN},
		`+COPS: 4,2,"41004",13`:     {Mode: 4, Format: 2, Oper: "41004", AcT: AcTENDC},
		`+COPS: 0,0,"Telenor PK",2`: {Mode: 0, Format: 0, Oper: "Telenor PK", AcT: AcTUTRAN},
		`+COPS: 0,0,"Ufone, PK",7`:  {Mode: 0, Format: 0, Oper: "Ufone, PK", AcT: AcTEUTRAN},
		`+COPS: 0,2,"41003",7`:      {Mode: 0, Format: 2, Oper: "41003", AcT: AcTEUTRAN},
		`+COPS: 0,2,"41005",7`:      {Mode: 0, Format: 2, Oper: "41005", AcT: AcTEUTRAN},
		`+COPS: 0,2,"41007",7`:      {Mode: 0, Format: 2, Oper: "41007", AcT: AcTEUTRAN},
		`+COPS: 0,2,"41004", 7 `:    {Mode: 0, Format: 2, Oper: "41004", AcT: AcTEUTRAN},
	} {
		got, err := ParseCOPS(line)
		if err != nil || got != want {
			t.Errorf("ParseCOPS(%s) = %+v, %v; want %+v", line, got, err, want)
		}
	}
	if p, err := (COPS{Format: 2, Oper: "41001"}).PLMN(); err != nil || p != (PLMN{"410", "01"}) || p.String() != "41001" {
		t.Errorf("PLMN() = %v %v", p, err)
	}
	if p, _ := ParsePLMN("310260"); p.MNC != "260" {
		t.Errorf("3-digit MNC: %v", p)
	}
	for _, bad := range []string{`+COPS: 0,2`, `+COPS: 5`, `+COPS: 0,2,"4100A",7`, `+COPS: 0,2,"41001",99`, `+COPS: 0,3,"x"`, `+COPS: 0,2,"41001",7,1`} {
		if _, err := ParseCOPS(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseCOPS(%s) = %v, want ErrSyntax", bad, err)
		}
	}
}

func TestParseCOPSList(t *testing.T) {
	line := `+COPS: (2,"Jazz","Jazz","41001",7),(1,"ZONG","ZONG","41004",7),(3,"Ufone","Ufone","41003",2),(1,"Telenor","TP","41006"),,(0,1,2,3,4),(0,1,2)`
	got, err := ParseCOPSList(line)
	want := []Network{
		{Stat: 2, Long: "Jazz", Short: "Jazz", Numeric: "41001", AcT: AcTEUTRAN},
		{Stat: 1, Long: "ZONG", Short: "ZONG", Numeric: "41004", AcT: AcTEUTRAN},
		{Stat: 3, Long: "Ufone", Short: "Ufone", Numeric: "41003", AcT: AcTUTRAN},
		{Stat: 1, Long: "Telenor", Short: "TP", Numeric: "41006", AcT: AcTNone},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseCOPSList = %+v, %v", got, err)
	}
	if got, err := ParseCOPSList(`+COPS: ,,(0-4),(0-2)`); err != nil || len(got) != 0 {
		t.Errorf("empty scan: %v %v", got, err)
	}
	if _, err := ParseCOPSList(`+COPS: (2,"Jazz","Jazz")`); !errors.Is(err, ErrSyntax) {
		t.Errorf("short entry: %v", err)
	}
}

func TestParseSignal(t *testing.T) {
	for line, want := range map[string]Signal{
		"+CSQ: 20,99": {RSSI: -73, BER: -1},
		"+CSQ: 0,0":   {RSSI: -113, BER: 0},
		"+CSQ: 31,7":  {RSSI: -51, BER: 7},
		"+CSQ: 99,99": {BER: -1},
	} {
		got, err := ParseCSQ(line)
		if err != nil || got != want {
			t.Errorf("ParseCSQ(%s) = %+v, %v; want %+v", line, got, err, want)
		}
	}
	for line, want := range map[string]Signal{
		"+CESQ: 99,99,255,255,20,45":   {RSRP: -96, RSRQ: -10, BER: -1},
		"+CESQ: 99,99,255,255,34,97":   {RSRP: -44, RSRQ: -3, BER: -1},
		"+CESQ: 99,99,255,255,255,255": {BER: -1},
		"+CESQ: 40,0,255,255,255,255":  {RSSI: -71, BER: 0},
		"+CESQ: 99,99,50,30,255,255":   {RSCP: -71, BER: -1},
	} {
		got, err := ParseCESQ(line)
		if err != nil || got != want {
			t.Errorf("ParseCESQ(%s) = %+v, %v; want %+v", line, got, err, want)
		}
	}
	for _, bad := range []string{"+CSQ: 32,99", "+CSQ: 20", "+CSQ: 20,8", "+CESQ: 99,99,255,255,35,45", "+CESQ: 1,2,3"} {
		if _, err := ParseCSQ(bad); err == nil {
			if _, err := ParseCESQ(bad); err == nil {
				t.Errorf("%s accepted", bad)
			}
		}
	}
	for s, want := range map[Signal]int{{RSRP: -85}: 5, {RSRP: -95}: 4, {RSRP: -105}: 3, {RSRP: -115}: 2, {RSRP: -125}: 1, {RSSI: -73}: 5, {RSSI: -113}: 1, {}: 0, {RSCP: -95}: 3} {
		if got := s.Bars(); got != want {
			t.Errorf("%+v.Bars() = %d, want %d", s, got, want)
		}
	}
}

func TestParsePDP(t *testing.T) {
	c, err := ParseCGDCONT(`+CGDCONT: 1,"IPV4V6","gov.secure.pk","0.0.0.0,0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0",0,0,0,0`)
	if err != nil || c != (Context{CID: 1, Type: "IPV4V6", APN: "gov.secure.pk", Addr: "0.0.0.0,0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"}) {
		t.Errorf("CGDCONT = %+v, %v", c, err)
	}
	if c, err := ParseCGDCONT(`+CGDCONT: 3,"IP","ims"`); err != nil || c.CID != 3 || c.APN != "ims" {
		t.Errorf("CGDCONT short = %+v, %v", c, err)
	}
	if cid, on, err := ParseCGACT("+CGACT: 1,1"); err != nil || cid != 1 || !on {
		t.Errorf("CGACT = %d %v %v", cid, on, err)
	}
	if _, _, err := ParseCGACT("+CGACT: 1,2"); err == nil {
		t.Error("CGACT state 2 accepted")
	}
	for line, want := range map[string][]netip.Addr{
		`+CGPADDR: 1,"10.45.3.7"`: {netip.MustParseAddr("10.45.3.7")},
		`+CGPADDR: 1,10.45.3.7`:   {netip.MustParseAddr("10.45.3.7")},
		`+CGPADDR: 1,"10.45.3.7","32.1.13.184.0.0.0.0.0.0.0.0.0.0.0.1"`: {netip.MustParseAddr("10.45.3.7"), netip.MustParseAddr("2001:db8::1")},
		`+CGPADDR: 1,"10.45.3.7","2001:DB8::1"`:                         {netip.MustParseAddr("10.45.3.7"), netip.MustParseAddr("2001:db8::1")},
		`+CGPADDR: 1,"0.0.0.0"`:                                         nil,
		`+CGPADDR: 2`:                                                   nil,
	} {
		_, got, err := ParseCGPADDR(line)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseCGPADDR(%s) = %v, %v; want %v", line, got, err, want)
		}
	}
	for _, bad := range []string{`+CGPADDR: 1,"10.45.3"`, `+CGPADDR: 1,"10.45.3.256"`, `+CGPADDR: x`, `+CGPADDR: 1,"1.2.3.4.255.255.255.0"`} {
		if _, _, err := ParseCGPADDR(bad); err == nil {
			t.Errorf("ParseCGPADDR(%s) accepted", bad)
		}
	}
	d, err := ParseCGCONTRDP(`+CGCONTRDP: 1,5,"gov.secure.pk.mnc001.mcc410.gprs","10.45.3.7.255.255.255.0","10.45.3.1","10.0.0.53","10.0.0.54","0.0.0.0","0.0.0.0",0,0,1400`)
	want := Dynamic{CID: 1, BearerID: 5, APN: "gov.secure.pk.mnc001.mcc410.gprs",
		Addr: netip.MustParsePrefix("10.45.3.7/24"), Gateway: netip.MustParseAddr("10.45.3.1"),
		DNS: []netip.Addr{netip.MustParseAddr("10.0.0.53"), netip.MustParseAddr("10.0.0.54")}, MTU: 1400}
	if err != nil || !reflect.DeepEqual(d, want) {
		t.Errorf("CGCONTRDP = %+v, %v", d, err)
	}
	if d, err := ParseCGCONTRDP(`+CGCONTRDP: 1,5,gov.secure.pk,10.45.3.7`); err != nil || d.Addr != netip.MustParsePrefix("10.45.3.7/32") {
		t.Errorf("CGCONTRDP without mask = %+v, %v", d, err)
	}
	if _, err := ParseCGCONTRDP(`+CGCONTRDP: 1,5,"a","10.45.3.7.255.0.255.0"`); err == nil {
		t.Error("non-contiguous mask accepted")
	}
}

func TestParseCGEV(t *testing.T) {
	for line, want := range map[string]CGEV{
		"+CGEV: NW DETACH":                   {Event: "NW DETACH", CID: -1},
		"+CGEV: ME PDN ACT 1":                {Event: "ME PDN ACT", CID: 1, Args: []string{"1"}},
		"+CGEV: NW PDN DEACT 1":              {Event: "NW PDN DEACT", CID: 1, Args: []string{"1"}},
		"+CGEV: ME PDN ACT 1,0":              {Event: "ME PDN ACT", CID: 1, Args: []string{"1", "0"}},
		`+CGEV: NW DEACT "IP","10.45.3.7",1`: {Event: "NW DEACT", CID: 1, Args: []string{`"IP"`, `"10.45.3.7"`, "1"}},
		"+CGEV: NW DEACT 1,2,0":              {Event: "NW DEACT", CID: 2, Args: []string{"1", "2", "0"}},
		"+CGEV: NW MODIFY 1,2,0":             {Event: "NW MODIFY", CID: 1, Args: []string{"1", "2", "0"}},
		`+CGEV: REJECT "IP","10.45.3.7"`:     {Event: "REJECT", CID: -1, Args: []string{`"IP"`, `"10.45.3.7"`}},
		"+CGEV: NW CLASS B":                  {Event: "NW CLASS", CID: -1, Args: []string{"B"}},
	} {
		got, err := ParseCGEV(line)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseCGEV(%s) = %+v, %v; want %+v", line, got, err, want)
		}
	}
	if e, _ := ParseCGEV("+CGEV: NW PDN DEACT 1"); !e.NetworkInitiated() || !e.Deactivation() {
		t.Error("NW PDN DEACT: network-initiated deactivation")
	}
	if _, err := ParseCGEV("+CGEV: NW PARTY 1"); err == nil {
		t.Error("unknown event accepted")
	}
}

func TestParseIdentities(t *testing.T) {
	for line, want := range map[string]string{"410011234567890": "410011234567890", "+CIMI: 410061234567": "410061234567"} {
		if got, err := ParseIMSI(line); err != nil || got != want {
			t.Errorf("ParseIMSI(%q) = %q, %v", line, got, err)
		}
	}
	for line, want := range map[string]string{
		"+CCID: 89920100001234567890":  "89920100001234567890",
		"+QCCID: 8992010000123456789F": "8992010000123456789",
		"+ICCID: 8992010000123456789":  "8992010000123456789",
		"8992010000123456789":          "8992010000123456789",
	} {
		if got, err := ParseICCID(line); err != nil || got != want {
			t.Errorf("ParseICCID(%q) = %q, %v", line, got, err)
		}
	}
	for line, want := range map[string]string{"356938035643809": "356938035643809", `+CGSN: "356938035643809"`: "356938035643809"} {
		if got, err := ParseIMEI(line); err != nil || got != want {
			t.Errorf("ParseIMEI(%q) = %q, %v", line, got, err)
		}
	}
	for _, bad := range []string{"", "ERROR", "41001", "4100112345678901", "41001x234567890"} {
		if _, err := ParseIMSI(bad); err == nil {
			t.Errorf("ParseIMSI(%q) accepted", bad)
		}
	}
	if _, err := ParseICCID("+CCID: 8992"); err == nil {
		t.Error("short ICCID accepted")
	}
	if !Luhn("356938035643809") || Luhn("356938035643808") || !Luhn("79927398713") {
		t.Error("Luhn")
	}
	if got := Mask("410011234567890", 5, 3); got != "41001*******890" {
		t.Errorf("Mask = %q", got)
	}
	if got := Mask("123", 5, 3); got != "***" {
		t.Errorf("Mask short = %q", got)
	}
}

func TestParseCFUNAndCEER(t *testing.T) {
	if f, err := ParseCFUN("+CFUN: 1"); err != nil || f != 1 {
		t.Errorf("CFUN = %d %v", f, err)
	}
	if _, err := ParseCFUN("+CFUN: 200"); err == nil {
		t.Error("CFUN 200 accepted")
	}
	for line, want := range map[string]CEER{
		`+CEER: "No cause information available"`: {Report: "No cause information available", Cause: -1},
		`+CEER: "EMM attach reject",7`:            {Report: "EMM attach reject", Cause: 7},
		`+CEER: Normal call clearing`:             {Report: "Normal call clearing", Cause: -1},
	} {
		if got, err := ParseCEER(line); err != nil || got != want {
			t.Errorf("ParseCEER(%s) = %+v, %v", line, got, err)
		}
	}
}

func TestParseQENG(t *testing.T) {
	for line, want := range map[string]Cell{
		`+QENG: "servingcell","NOCONN","LTE","FDD",410,01,1452808,315,1300,3,5,5,3AFD,-104,-11,-78,12,20`: {
			State: "NOCONN", RAT: "LTE", PLMN: PLMN{"410", "01"}, Area: 0x3afd, Cell: 0x1452808,
			PCI: 315, ARFCN: 1300, Band: 3, RSRP: -104, RSRQ: -11, SINR: 12},
		`+QENG: "servingcell","CONNECT","LTE","FDD",410,4,2B1C00F,41,100,1,5,5,1A2B,-88,-9,-60,20,40`: {
			State: "CONNECT", RAT: "LTE", PLMN: PLMN{"410", "04"}, Area: 0x1a2b, Cell: 0x2b1c00f,
			PCI: 41, ARFCN: 100, Band: 1, RSRP: -88, RSRQ: -9, SINR: 20},
		`+QENG: "servingcell","SEARCH"`: {State: "SEARCH", PCI: -1, ARFCN: -1, Band: -1},
		`+QENG: "servingcell","NOCONN","GSM",410,06,1F40,2A1B,25,62,0,-71,255,255,255,255,255,255,255,255,255,255,255,255,255,255,255`: {
			State: "NOCONN", RAT: "GSM", PLMN: PLMN{"410", "06"}, Area: 0x1f40, Cell: 0x2a1b, PCI: 25, ARFCN: 62, Band: -1, RSRP: -71},
		`+QENG: "servingcell","NOCONN","WCDMA",410,03,2B5C,A1B2C,10713,301,1,-85,-6,-,-,-,-,-`: {
			State: "NOCONN", RAT: "WCDMA", PLMN: PLMN{"410", "03"}, Area: 0x2b5c, Cell: 0xa1b2c, PCI: 301, ARFCN: 10713, Band: -1, RSRP: -85},
		`+QENG: "servingcell","LIMSRV","LTE","FDD",410,99,1452808,315,1300,3,5,5,3AFD,-60,-5,-40,25,50`: {
			State: "LIMSRV", RAT: "LTE", PLMN: PLMN{"410", "99"}, Area: 0x3afd, Cell: 0x1452808,
			PCI: 315, ARFCN: 1300, Band: 3, RSRP: -60, RSRQ: -5, SINR: 25},
	} {
		got, err := ParseQENG(line)
		if err != nil || got != want {
			t.Errorf("ParseQENG(%s)\n got %+v, %v\nwant %+v", line, got, err, want)
		}
	}
	for _, bad := range []string{`+QENG: "neighbourcell intra","LTE",1300,315`, `+QENG: "servingcell","DOZE"`,
		`+QENG: "servingcell","NOCONN","LTE","FDD",410,01,1452808`, `+QENG: "servingcell","NOCONN","5G"`,
		`+QENG: "servingcell","NOCONN","LTE","FDD",41,01,1452808,315,1300,3,5,5,3AFD,-104,-11,-78,12,20`} {
		if _, err := ParseQENG(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseQENG(%s) = %v, want ErrSyntax", bad, err)
		}
	}
}
