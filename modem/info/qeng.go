package info

import "strings"

// Cell is the Quectel serving-cell report, AT+QENG="servingcell" (EC2x/EG25
// family): the best AT-level view of the cell the modem camps on.
type Cell struct {
	State string // "SEARCH", "LIMSRV" (limited service), "NOCONN" (idle), "CONNECT"
	RAT   string // "LTE", "WCDMA", "GSM"; "" while searching
	PLMN  PLMN
	Area  uint32 // TAC (LTE) or LAC
	Cell  uint64 // cell identity
	PCI   int    // LTE physical cell id (PSC for WCDMA, BSIC for GSM); -1 if absent
	ARFCN int    // EARFCN, UARFCN or ARFCN; -1 if absent
	Band  int    // LTE band; -1 if absent
	RSRP  int    // dBm (LTE); RSCP for WCDMA; RxLev in dBm for GSM; 0 if absent
	RSRQ  int    // dB (LTE), 0 if absent
	SINR  int    // LTE SINR as reported, 0 if absent
}

// ParseQENG parses one +QENG: "servingcell" line:
//
//	"servingcell",<state>                                 (SEARCH, LIMSRV without a cell)
//	"servingcell",<state>,"LTE",<is_tdd>,<MCC>,<MNC>,<cellID>,<PCID>,<earfcn>,
//	    <freq_band_ind>,<UL_bw>,<DL_bw>,<TAC>,<RSRP>,<RSRQ>,<RSSI>,<SINR>,<srxlev>
//	"servingcell",<state>,"WCDMA",<MCC>,<MNC>,<LAC>,<cellID>,<uarfcn>,<PSC>,<RAC>,
//	    <RSCP>,<ecio>,...
//	"servingcell",<state>,"GSM",<MCC>,<MNC>,<LAC>,<cellid>,<bsic>,<arfcn>,<band>,
//	    <rxlev>,...
//
// Cell id, TAC and LAC are hexadecimal; "-" marks an unknown value.
func ParseQENG(line string) (Cell, error) {
	b, err := body(line, "+QENG")
	if err != nil {
		return Cell{}, err
	}
	fs, err := fields(b)
	if err != nil {
		return Cell{}, err
	}
	if len(fs) < 2 || unquote(fs[0]) != "servingcell" || len(fs) > 32 {
		return Cell{}, syntaxErr(`want "servingcell",<state>,...`, line)
	}
	c := Cell{State: strings.ToUpper(unquote(fs[1])), PCI: -1, ARFCN: -1, Band: -1}
	switch c.State {
	case "SEARCH", "LIMSRV", "NOCONN", "CONNECT":
	default:
		return Cell{}, syntaxErr("unknown state", line)
	}
	if len(fs) == 2 {
		return c, nil
	}
	c.RAT = strings.ToUpper(unquote(fs[2]))
	// opt reads field i as a decimal, treating "-" or a missing field as def.
	opt := func(i, lo, hi, def int, what string) (int, error) {
		if i >= len(fs) || fs[i] == "-" {
			return def, nil
		}
		return optNum(fs, i, lo, hi, def, what, line)
	}
	plmn := func(i int) error {
		if i+1 >= len(fs) {
			return syntaxErr("short report", line)
		}
		mcc, mnc := unquote(fs[i]), unquote(fs[i+1])
		if len(mnc) == 1 { // some firmware drops the leading zero of a 2-digit MNC
			mnc = "0" + mnc
		}
		p, err := ParsePLMN(mcc + mnc)
		c.PLMN = p
		if err != nil || len(mcc) != 3 {
			return syntaxErr("MCC/MNC", line)
		}
		return nil
	}
	cell := func(ai, ci, areaDigits int) error {
		if ci >= len(fs) {
			return syntaxErr("short report", line)
		}
		area, err := hexNum(fs[ai], areaDigits, "area", line)
		if err != nil {
			return err
		}
		id, err := hexNum(fs[ci], 9, "cell id", line)
		c.Area, c.Cell = uint32(area), id
		return err
	}
	switch c.RAT {
	case "LTE":
		if len(fs) < 17 {
			return Cell{}, syntaxErr("LTE report: want at least 17 fields", line)
		}
		if err := plmn(4); err != nil {
			return Cell{}, err
		}
		if err := cell(12, 6, 6); err != nil {
			return Cell{}, err
		}
		steps := []struct {
			dst          *int
			i, lo, hi, d int
			what         string
		}{
			{&c.PCI, 7, 0, 503, -1, "PCID"}, {&c.ARFCN, 8, 0, 262143, -1, "EARFCN"},
			{&c.Band, 9, 1, 255, -1, "band"}, {&c.RSRP, 13, -160, -20, 0, "RSRP"},
			{&c.RSRQ, 14, -40, 0, 0, "RSRQ"}, {&c.SINR, 16, -50, 300, 0, "SINR"},
		}
		for _, s := range steps {
			if *s.dst, err = opt(s.i, s.lo, s.hi, s.d, s.what); err != nil {
				return Cell{}, err
			}
		}
	case "WCDMA":
		if len(fs) < 12 {
			return Cell{}, syntaxErr("WCDMA report: want at least 12 fields", line)
		}
		if err := plmn(3); err != nil {
			return Cell{}, err
		}
		if err := cell(5, 6, 4); err != nil {
			return Cell{}, err
		}
		if c.ARFCN, err = opt(7, 0, 16383, -1, "UARFCN"); err != nil {
			return Cell{}, err
		}
		if c.PCI, err = opt(8, 0, 511, -1, "PSC"); err != nil {
			return Cell{}, err
		}
		if c.RSRP, err = opt(10, -140, 0, 0, "RSCP"); err != nil {
			return Cell{}, err
		}
	case "GSM":
		if len(fs) < 12 {
			return Cell{}, syntaxErr("GSM report: want at least 12 fields", line)
		}
		if err := plmn(3); err != nil {
			return Cell{}, err
		}
		if err := cell(5, 6, 4); err != nil {
			return Cell{}, err
		}
		if c.PCI, err = opt(7, 0, 63, -1, "BSIC"); err != nil {
			return Cell{}, err
		}
		if c.ARFCN, err = opt(8, 0, 1023, -1, "ARFCN"); err != nil {
			return Cell{}, err
		}
		if c.RSRP, err = opt(10, -140, 63, 0, "RxLev"); err != nil {
			return Cell{}, err
		}
	default:
		return Cell{}, syntaxErr("unknown RAT", line)
	}
	return c, nil
}
