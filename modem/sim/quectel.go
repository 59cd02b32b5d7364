package sim

import (
	"fmt"
	"slices"
	"strings"
)

// The Quectel EC2x/EG2x extensions the handset daemon uses. Their shapes
// follow the module's AT manual; values are plausible for the simulated
// network, not copied from a device.

func addQuectel(t map[string]handler) {
	t["+QCFG"] = cmdQCFG
	t["+QURCCFG"] = cmdQURCCFG
	t["+QENG"] = cmdQENG
	t["+QSIMSTAT"] = cmdQSIMSTAT
	t["+QSIMDET"] = func(m *Modem, c command) result {
		switch c.op {
		case opRead:
			return okInfo("+QSIMDET: 1,0")
		case opTest:
			return okInfo("+QSIMDET: (0,1),(0,1)")
		case opSet:
			if _, ok := c.intArg(0, -1, 0, 1); !ok {
				return fail(cme(cmeBadParams))
			}
			return result{}
		}
		return fail(errPlain)
	}
	t["+QGMR"] = info(func(m *Modem) string { return m.prof.FullRevision })
	t["+QCCID"] = func(m *Modem, c command) result {
		switch c.op {
		case opTest:
			return result{}
		case opAction:
		default:
			return fail(errPlain)
		}
		if e := m.simError(false); e != 0 {
			return fail(cme(e))
		}
		// The module prints the raw BCD digits of EF_ICCID: a 19-digit
		// ICCID keeps its filler nibble, F.
		id := m.card.ICCID
		if len(id)%2 == 1 {
			id += "F"
		}
		return okInfo("+QCCID: " + id)
	}
	t["+QPINC"] = cmdQPINC
	t["+QPOWD"] = func(m *Modem, c command) result {
		if _, ok := c.intArg(0, 1, 0, 1); !ok || (c.op != opSet && c.op != opAction) {
			return fail(errPlain)
		}
		return result{then: func() {
			m.urc("POWERED DOWN")
			m.tr.add('#', "powered down by AT+QPOWD")
			m.cutPower()
		}}
	}
}

// qcfgInt is a numeric AT+QCFG item: its NV field and range.
type qcfgInt struct {
	name  string
	field func(*nvram) *int
	hi    int
	// effect takes the optional <effect> parameter: 1 applies now.
	effect bool
	apply  func(m *Modem)
}

var qcfgItems = []qcfgInt{
	{"nwscanmode", func(n *nvram) *int { return &n.nwscanmode }, 3, true, (*Modem).reselect},
	{"servicedomain", func(n *nvram) *int { return &n.servicedomain }, 2, true, (*Modem).reportReg},
	{"ims", func(n *nvram) *int { return &n.ims }, 2, false, nil},
	{"urc/cache", func(n *nvram) *int { return &n.urcCache }, 1, false, nil},
	{"ApRstLevel", func(n *nvram) *int { return &n.apRstLevel }, 1, false, nil},
	{"ModemRstLevel", func(n *nvram) *int { return &n.modemRstLevel }, 1, false, nil},
}

// cmdQCFG reads ("=\"item\"") and writes ("=\"item\",value") settings that
// the module keeps in NV.
func cmdQCFG(m *Modem, c command) result {
	if c.op == opTest {
		var lines []string
		for _, it := range qcfgItems {
			l := fmt.Sprintf(`+QCFG: %s,(0-%d)`, quote(it.name), it.hi)
			if it.effect {
				l += ",(0,1)"
			}
			lines = append(lines, l)
		}
		return okInfo(lines...)
	}
	if c.op != opSet {
		return fail(errPlain)
	}
	name, ok := c.strArg(0)
	if !ok {
		return fail(cme(cmeBadParams))
	}
	for _, it := range qcfgItems {
		if !strings.EqualFold(name, it.name) {
			continue
		}
		p := it.field(&m.nv)
		if c.nargs() == 1 {
			if it.name == "ims" {
				// The second value is whether IMS runs now; a new
				// setting takes effect at the next boot.
				return okInfo(fmt.Sprintf(`+QCFG: "ims",%d,%s`, *p, b2i(m.imsActive)))
			}
			return okInfo(fmt.Sprintf("+QCFG: %s,%d", quote(it.name), *p))
		}
		maxArgs := 2
		if it.effect {
			maxArgs = 3
		}
		v, ok1 := c.intArg(1, -1, 0, it.hi)
		_, ok2 := c.intArg(2, 1, 0, 1)
		if !ok1 || !ok2 || c.nargs() > maxArgs {
			return fail(cme(cmeBadParams))
		}
		*p = v
		if it.apply != nil {
			it.apply(m)
		}
		return result{}
	}
	return fail(cme(cmeBadParams))
}

// cmdQURCCFG picks the port URCs go to. URCs reach the simulated host only
// when it names Config.PortName or "all".
func cmdQURCCFG(m *Modem, c command) result {
	switch c.op {
	case opTest:
		return okInfo(`+QURCCFG: "urcport",("usbat","usbmodem","uart1","all")`)
	case opSet:
	default:
		return fail(errPlain)
	}
	item, ok := c.strArg(0)
	if !ok || !strings.EqualFold(item, "urcport") || c.nargs() > 2 {
		return fail(cme(cmeBadParams))
	}
	if c.nargs() == 1 {
		return okInfo(`+QURCCFG: "urcport",` + quote(m.nv.urcport))
	}
	port, _ := c.strArg(1)
	port = strings.ToLower(port)
	if !slices.Contains([]string{"usbat", "usbmodem", "uart1", "all"}, port) {
		return fail(cme(cmeBadParams))
	}
	m.nv.urcport = port
	return result{}
}

// cmdQENG reports the serving and neighbouring cells.
func cmdQENG(m *Modem, c command) result {
	if c.op == opTest {
		return okInfo(`+QENG: ("servingcell","neighbourcell")`)
	}
	what, ok := c.strArg(0)
	if c.op != opSet || !ok || c.nargs() > 1 {
		return fail(cme(cmeBadParams))
	}
	switch strings.ToLower(what) {
	case "servingcell":
		return okInfo(m.servingCellLine())
	case "neighbourcell":
		return okInfo(m.neighbourLines()...)
	}
	return fail(cme(cmeBadParams))
}

func (m *Modem) servingCellLine() string {
	cell, ok := m.serving()
	if !ok || (m.reg.phase != regCamped && m.reg.phase != regDenied) {
		return `+QENG: "servingcell","SEARCH"`
	}
	state := "NOCONN"
	if m.reg.phase == regDenied {
		state = "LIMSRV"
	}
	mcc, mnc := cell.PLMN[:3], cell.PLMN[3:]
	switch cell.AcT.family() {
	case eutran:
		srxlev := cell.RSRP + 140 - 16
		return fmt.Sprintf(`+QENG: "servingcell","%s","LTE","FDD",%s,%s,%X,%d,%d,%d,5,5,%X,%d,%d,%d,%d,%d`,
			state, mcc, mnc, cell.CI, cell.PCI, cell.EARFCN, cell.Band, cell.LAC, cell.RSRP, cell.RSRQ, cell.RSSI, cell.SINR, srxlev)
	case utran:
		return fmt.Sprintf(`+QENG: "servingcell","%s","WCDMA",%s,%s,%X,%X,%d,%d,1,%d,%d,-,-,-,-,-`,
			state, mcc, mnc, cell.LAC, cell.CI, cell.EARFCN, cell.PCI, cell.RSRP, cell.RSRQ)
	}
	return fmt.Sprintf(`+QENG: "servingcell","%s","GSM",%s,%s,%X,%X,%d,%d,0,%d,0,-,-,%d,%d,1,-,-,-,-,-,-,-,-,-,-`,
		state, mcc, mnc, cell.LAC, cell.CI&0xffff, cell.PCI, cell.EARFCN, cell.RSSI, cell.RSSI+110, cell.RSSI+110)
}

func (m *Modem) neighbourLines() []string {
	serving, ok := m.serving()
	var lines []string
	for _, c := range m.cells {
		if !ok || c == serving || c.AcT.family() != eutran || serving.AcT.family() != eutran {
			continue
		}
		kind := "neighbourcell intra"
		if c.EARFCN != serving.EARFCN {
			kind = "neighbourcell inter"
		}
		lines = append(lines, fmt.Sprintf(`+QENG: "%s","LTE",%d,%d,%d,%d,%d,%d,%d,-,-,-,-`,
			kind, c.EARFCN, c.PCI, c.RSRQ, c.RSRP, c.RSSI, c.SINR, c.RSRP+140-16))
	}
	return lines
}

// cmdQSIMSTAT turns the SIM insertion URC +QSIMSTAT on and reads it.
func cmdQSIMSTAT(m *Modem, c command) result {
	switch c.op {
	case opRead:
		return okInfo(fmt.Sprintf("+QSIMSTAT: %d,%s", m.st.qsimstat, b2i(m.card != nil)))
	case opTest:
		return okInfo("+QSIMSTAT: (0,1)")
	case opSet:
		n, ok := c.intArg(0, -1, 0, 1)
		if !ok || c.nargs() > 1 {
			return fail(cme(cmeBadParams))
		}
		m.st.qsimstat = n
		return result{}
	}
	return fail(errPlain)
}

// cmdQPINC reads the PIN and PUK attempts left.
func cmdQPINC(m *Modem, c command) result {
	if c.op == opTest {
		return okInfo(`+QPINC: ("SC","P2")`)
	}
	if e := m.simError(false); e != 0 {
		return fail(cme(e))
	}
	sc := fmt.Sprintf(`+QPINC: "SC",%d,%d`, m.card.PINRetries, m.card.PUKRetries)
	p2 := `+QPINC: "P2",3,10`
	switch c.op {
	case opRead:
		return okInfo(sc, p2)
	case opSet:
		f, _ := c.strArg(0)
		switch strings.ToUpper(f) {
		case "SC":
			return okInfo(sc)
		case "P2":
			return okInfo(p2)
		}
		return fail(cme(cmeBadParams))
	}
	return fail(errPlain)
}
