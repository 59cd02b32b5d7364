package sim

import (
	"fmt"
	"strconv"
)

// AcT is an access technology as 3GPP TS 27.007 §7.3 numbers it in +COPS
// and the registration URCs.
type AcT int

// The access technologies the simulator's cells can use.
const (
	GSM  AcT = 0 // GERAN
	UMTS AcT = 2 // UTRAN
	EDGE AcT = 3 // GERAN with EGPRS
	HSPA AcT = 6 // UTRAN with HSDPA and HSUPA
	LTE  AcT = 7 // E-UTRAN
)

// family is the radio access network an AcT belongs to, the unit that
// +WS46 and Quectel's nwscanmode lock.
type family int

const (
	geran family = 1 << iota
	utran
	eutran

	allFamilies = geran | utran | eutran
)

func (a AcT) family() family {
	switch a {
	case GSM, EDGE:
		return geran
	case UMTS, HSPA:
		return utran
	case LTE:
		return eutran
	}
	return 0
}

func (a AcT) String() string {
	switch a {
	case GSM:
		return "GSM"
	case UMTS:
		return "UMTS"
	case EDGE:
		return "EDGE"
	case HSPA:
		return "HSPA"
	case LTE:
		return "LTE"
	}
	return "AcT(" + strconv.Itoa(int(a)) + ")"
}

// ParseAcT reads an access technology by name (gsm, edge, umts, hspa, lte)
// or by its 27.007 number.
func ParseAcT(s string) (AcT, error) {
	switch s {
	case "gsm", "GSM", "2g":
		return GSM, nil
	case "edge", "EDGE":
		return EDGE, nil
	case "umts", "UMTS", "3g":
		return UMTS, nil
	case "hspa", "HSPA":
		return HSPA, nil
	case "lte", "LTE", "4g":
		return LTE, nil
	}
	n, err := strconv.Atoi(s)
	if err == nil && AcT(n).family() != 0 {
		return AcT(n), nil
	}
	return 0, fmt.Errorf("unknown access technology %q", s)
}

// Cell is one cell the modem can camp on.
type Cell struct {
	PLMN string // MCC and MNC, "41004"
	AcT  AcT
	// LAC is the location area code (GSM, UMTS) or tracking area code (LTE).
	LAC uint16
	// CI is the cell identity: 16 bits on GSM, 28 on UMTS and LTE.
	CI     uint32
	PCI    int // LTE physical cell id, or GSM BSIC, or UMTS scrambling code
	EARFCN int // the channel number (EARFCN, UARFCN or ARFCN)
	Band   int
	// Signal, as a handset measures it.
	RSSI int // dBm
	RSRP int // dBm (LTE), RSCP on UMTS
	RSRQ int // dB (LTE), Ec/No on UMTS
	SINR int // dB
}

// Operator describes a PLMN the simulator knows by name.
type Operator struct {
	PLMN  string
	Long  string
	Short string
	// APN is the public internet APN the network assigns when a device
	// attaches to LTE with an empty APN, as networks do.
	APN string
}

// Operators are the Pakistani mobile networks (MCC 410) and one foreign
// network, for roaming. The names are what +COPS shows in its long and
// short alphanumeric formats.
var Operators = []Operator{
	{"41001", "Jazz", "Jazz", "jazzconnect.mobilinkworld.com"},
	{"41003", "Ufone", "Ufone", "ufone.internet"},
	{"41004", "Zong", "Zong", "zonginternet"},
	{"41005", "SCO", "SCO", "scointernet"},
	{"41006", "Telenor PK", "Telenor", "internet"},
	{"41007", "Jazz", "Jazz", "warid"},
	{"42402", "Etisalat UAE", "Etisalat", "etisalat.ae"},
}

// ForeignPLMN is the non-Pakistani network in Operators.
const ForeignPLMN = "42402"

func operator(plmn string) Operator {
	for _, o := range Operators {
		if o.PLMN == plmn {
			return o
		}
	}
	return Operator{PLMN: plmn, Long: plmn, Short: plmn, APN: "internet"}
}

// validPLMN reports whether s is an MCC and a two- or three-digit MNC.
func validPLMN(s string) bool {
	if len(s) != 5 && len(s) != 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// NewCell returns a cell of the given PLMN and access technology with
// plausible identities and a good signal. seq varies the identities, so
// successive cells of one network differ as neighbours do.
func NewCell(plmn string, act AcT, seq int) Cell {
	mnc, _ := strconv.Atoi(plmn[3:])
	c := Cell{PLMN: plmn, AcT: act}
	switch act.family() {
	case eutran:
		c.LAC = uint16(0x2000 + mnc*0x100 + seq%16)
		// 28-bit E-UTRAN cell identity: 20-bit eNodeB id, 8-bit cell.
		c.CI = uint32(0x0A000+mnc*0x100+seq)<<8 | uint32(1+seq%3)
		c.PCI = (101*mnc + 7*seq) % 504
		c.EARFCN, c.Band = 1300, 3
		c.RSSI, c.RSRP, c.RSRQ, c.SINR = -65, -92, -9, 14
	case utran:
		c.LAC = uint16(0x3000 + mnc*0x100 + seq%16)
		c.CI = uint32(0x100000 + mnc*0x1000 + seq)
		c.PCI = (37*mnc + 5*seq) % 512
		c.EARFCN, c.Band = 10812, 1
		c.RSSI, c.RSRP, c.RSRQ, c.SINR = -71, -85, -7, 0
	default:
		c.LAC = uint16(0x4000 + mnc*0x100 + seq%16)
		c.CI = uint32(0x1000 + mnc*0x10 + seq)
		c.PCI = (11*mnc + seq) % 64
		c.EARFCN, c.Band = 62, 900
		c.RSSI, c.RSRP, c.RSRQ, c.SINR = -73, 0, 0, 0
	}
	return c
}
