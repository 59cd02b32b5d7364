package info

import "strings"

// RegStat is the <stat> of the registration reports (TS 27.007 §7.2,
// §10.1.20, §10.1.22).
type RegStat int

const (
	RegNotSearching   RegStat = 0  // not registered, not searching
	RegHome           RegStat = 1  // registered, home network
	RegSearching      RegStat = 2  // not registered, searching
	RegDenied         RegStat = 3  // registration denied
	RegUnknown        RegStat = 4  // unknown (e.g. out of coverage)
	RegRoaming        RegStat = 5  // registered, roaming
	RegSMSOnlyHome    RegStat = 6  // registered for SMS only, home
	RegSMSOnlyRoaming RegStat = 7  // registered for SMS only, roaming
	RegEmergencyOnly  RegStat = 8  // attached for emergency bearer services only
	RegCSFBHome       RegStat = 9  // registered, CSFB not preferred, home
	RegCSFBRoaming    RegStat = 10 // registered, CSFB not preferred, roaming
	RegEmergencyBear  RegStat = 11 // +CEREG: attached for access to RLOS / emergency bearer
)

// Registered reports whether the stat means the network accepted us for
// normal service.
func (s RegStat) Registered() bool {
	return s == RegHome || s == RegRoaming || s == RegCSFBHome || s == RegCSFBRoaming
}

// Roaming reports whether the stat says roaming.
func (s RegStat) Roaming() bool {
	return s == RegRoaming || s == RegSMSOnlyRoaming || s == RegCSFBRoaming
}

func (s RegStat) String() string {
	names := [...]string{"not-searching", "home", "searching", "denied", "unknown", "roaming",
		"sms-only-home", "sms-only-roaming", "emergency-only", "csfb-home", "csfb-roaming", "emergency-bearer"}
	if s >= 0 && int(s) < len(names) {
		return names[s]
	}
	return "invalid"
}

// AcT is the access technology (TS 27.007 §7.3 <AcT>).
type AcT int

const (
	AcTNone       AcT = -1 // not reported
	AcTGSM        AcT = 0
	AcTGSMCompact AcT = 1
	AcTUTRAN      AcT = 2
	AcTGSMEGPRS   AcT = 3
	AcTHSDPA      AcT = 4
	AcTHSUPA      AcT = 5
	AcTHSPA       AcT = 6
	AcTEUTRAN     AcT = 7
	AcTECGSMIoT   AcT = 8
	AcTNBIoT      AcT = 9  // E-UTRAN (NB-S1 mode)
	AcTEUTRA5GCN  AcT = 10 // E-UTRA connected to a 5GCN
	AcTNR5GCN     AcT = 11 // NR connected to a 5GCN
	AcTNGRAN      AcT = 12
	AcTENDC       AcT = 13 // E-UTRA-NR dual connectivity
)

// Is2G reports whether a is a GSM access technology: the downgrade an
// IMSI catcher forces, because GSM lets the network switch ciphering off.
func (a AcT) Is2G() bool {
	return a == AcTGSM || a == AcTGSMCompact || a == AcTGSMEGPRS || a == AcTECGSMIoT
}

// RAT names the radio family: "GSM", "UMTS", "LTE", "NR", or "" if unknown.
func (a AcT) RAT() string {
	switch a {
	case AcTGSM, AcTGSMCompact, AcTGSMEGPRS, AcTECGSMIoT:
		return "GSM"
	case AcTUTRAN, AcTHSDPA, AcTHSUPA, AcTHSPA:
		return "UMTS"
	case AcTEUTRAN, AcTNBIoT, AcTEUTRA5GCN, AcTENDC:
		return "LTE"
	case AcTNR5GCN, AcTNGRAN:
		return "NR"
	}
	return ""
}

// Reg is a registration report: a +CREG, +CGREG, +CEREG or +C5GREG line,
// solicited or not.
type Reg struct {
	Cmd       string // "+CREG", "+CGREG", "+CEREG" or "+C5GREG"
	Solicited bool   // the read response (has <n>), not the URC
	N         int    // the <n> of a read response; -1 in a URC
	Stat      RegStat
	Area      uint32 // LAC (CS, PS) or TAC (EPS, 5GS); valid if HasCell
	Cell      uint64 // cell identity (28 bits LTE, 36 bits NR); valid if HasCell
	HasCell   bool
	AcT       AcT
	RAC       int // +CGREG routing area code, -1 if absent
	// CauseType and RejectCause come with <n>=3 and 5 (CREG) or 3 and 5
	// (CEREG): cause type 0 is a TS 24.008/24.301 cause, 1 a vendor one.
	CauseType   int // -1 if absent
	RejectCause int // -1 if absent
}

// regLayout gives, per command, the position after <stat> of each optional
// field, counted from <stat> at 0.
type regLayout struct{ area, cell, act, rac, causeType, reject int }

var regLayouts = map[string]regLayout{
	"+CREG":   {1, 2, 3, -1, 4, 5},
	"+CGREG":  {1, 2, 3, 4, 5, 6},
	"+CEREG":  {1, 2, 3, -1, 4, 5},
	"+C5GREG": {1, 2, 3, -1, 6, 7}, // 4 and 5 are the allowed NSSAI
}

// ParseReg parses any shape of +CREG, +CGREG, +CEREG or +C5GREG. The read
// response starts <n>,<stat>; the URC starts <stat>, and if it goes on, with
// a quoted (or empty) <lac>/<tac>. So a bare number in the second field means
// the read response. Area and cell are hexadecimal strings; modems that send
// them unquoted are accepted.
func ParseReg(line string) (Reg, error) {
	name := strings.TrimSpace(line)
	if i := strings.IndexByte(name, ':'); i > 0 {
		name = strings.ToUpper(strings.TrimSpace(name[:i]))
	}
	lay, ok := regLayouts[name]
	if !ok {
		return Reg{}, syntaxErr("not a registration report", line)
	}
	b, err := body(line, name)
	if err != nil {
		return Reg{}, err
	}
	fs, err := fields(b)
	if err != nil {
		return Reg{}, err
	}
	r := Reg{Cmd: name, N: -1, AcT: AcTNone, RAC: -1, CauseType: -1, RejectCause: -1}
	if len(fs) >= 2 && isDigits(fs[0]) && isDigits(fs[1]) && len(fs[1]) <= 2 {
		r.Solicited = true
		if r.N, err = num(fs[0], 0, 5, "n", line); err != nil {
			return Reg{}, err
		}
		fs = fs[1:]
	}
	if len(fs) > 12 {
		return Reg{}, syntaxErr("too many fields", line)
	}
	st, err := num(fs[0], 0, 11, "stat", line)
	if err != nil {
		return Reg{}, err
	}
	r.Stat = RegStat(st)
	has := func(i int) bool { return i >= 0 && i < len(fs) && unquote(fs[i]) != "" }
	if has(lay.area) && has(lay.cell) {
		area, err := hexNum(fs[lay.area], 6, "lac/tac", line)
		if err != nil {
			return Reg{}, err
		}
		cell, err := hexNum(fs[lay.cell], 10, "ci", line) // 36 bits, sent zero-padded to 10 digits
		if err != nil {
			return Reg{}, err
		}
		if cell > 1<<36-1 {
			return Reg{}, syntaxErr("ci over 36 bits", line)
		}
		r.Area, r.Cell, r.HasCell = uint32(area), cell, true
	}
	act, err := optNum(fs, lay.act, 0, 13, -1, "AcT", line)
	if err != nil {
		return Reg{}, err
	}
	r.AcT = AcT(act)
	if has(lay.rac) {
		rac, err := hexNum(fs[lay.rac], 2, "rac", line)
		if err != nil {
			return Reg{}, err
		}
		r.RAC = int(rac)
	}
	if r.CauseType, err = optNum(fs, lay.causeType, 0, 1, -1, "cause_type", line); err != nil {
		return Reg{}, err
	}
	if r.RejectCause, err = optNum(fs, lay.reject, 0, 65535, -1, "reject_cause", line); err != nil {
		return Reg{}, err
	}
	return r, nil
}
