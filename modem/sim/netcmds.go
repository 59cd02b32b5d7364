package sim

import (
	"fmt"
	"sort"
	"strings"
)

func addNetwork(t map[string]handler) {
	t["+CFUN"] = cmdCFUN
	t["+COPS"] = cmdCOPS
	t["+CREG"] = cmdReg(csDomain)
	t["+CGREG"] = cmdReg(psDomain)
	t["+CEREG"] = cmdReg(epsDomain)
	t["+CSQ"] = cmdCSQ
	t["+CESQ"] = cmdCESQ
	t["+CEER"] = func(m *Modem, c command) result {
		switch c.op {
		case opAction:
			return okInfo("+CEER: " + m.st.ceer)
		case opTest:
			return result{}
		}
		return fail(errPlain)
	}
	t["+CTZR"] = setting("+CTZR", func(m *Modem) *int { return &m.st.ctzr }, 0, 2)
	t["+CEMODE"] = func(m *Modem, c command) result {
		r := setting("+CEMODE", func(m *Modem) *int { return &m.st.cemode }, 0, 3)(m, c)
		if c.op == opSet && r.final.kind == resOK {
			m.reportReg()
		}
		return r
	}
}

// cmdCFUN is 27.007 §8.2: 0 minimum, 1 full, 4 radio off; <rst>=1 resets
// the module after the OK.
func cmdCFUN(m *Modem, c command) result {
	switch c.op {
	case opRead:
		return okInfo("+CFUN: " + itoa(m.st.fun))
	case opTest:
		return okInfo("+CFUN: (0,1,4),(0-1)")
	case opSet:
	default:
		return fail(errPlain)
	}
	fun, ok1 := c.intArg(0, -1, 0, 4)
	rst, ok2 := c.intArg(1, 0, 0, 1)
	if !ok1 || !ok2 || fun == 2 || fun == 3 {
		return fail(cme(cmeBadParams))
	}
	if rst == 1 {
		return result{then: func() { m.reboot("AT+CFUN=" + itoa(fun) + ",1") }}
	}
	m.st.fun = fun
	m.reselect()
	return result{}
}

// cmdCOPS is 27.007 §7.3.
func cmdCOPS(m *Modem, c command) result {
	switch c.op {
	case opRead:
		if m.reg.phase != regCamped {
			return okInfo("+COPS: " + itoa(m.st.copsMode))
		}
		cell := m.reg.cell
		return okInfo(fmt.Sprintf("+COPS: %d,%d,%s,%d", m.st.copsMode, m.st.copsFormat, quote(operName(cell.PLMN, m.st.copsFormat)), cell.AcT))
	case opTest:
		return m.copsScan()
	case opSet:
	default:
		return fail(errPlain)
	}
	mode, ok := c.intArg(0, -1, 0, 4)
	if !ok {
		return fail(cme(cmeBadParams))
	}
	format, ok := c.intArg(1, m.st.copsFormat, 0, 2)
	if !ok {
		return fail(cme(cmeBadParams))
	}
	switch mode {
	case 0, 2:
		if c.nargs() > 2 {
			return fail(cme(cmeBadParams))
		}
		m.st.copsMode = mode
		if c.nargs() == 2 {
			m.st.copsFormat = format
		}
		m.reselect()
		return result{}
	case 3:
		if c.nargs() != 2 {
			return fail(cme(cmeBadParams))
		}
		m.st.copsFormat = format
		return result{}
	}
	// Manual selection: <mode>,<format>,<oper>[,<AcT>].
	name, ok := c.strArg(2)
	if !ok || c.nargs() > 4 {
		return fail(cme(cmeBadParams))
	}
	plmn, ok := lookupOper(name, format)
	if !ok {
		return fail(cme(cmeBadParams))
	}
	act, hasAcT := AcT(0), c.nargs() == 4
	if hasAcT {
		n, ok := c.intArg(3, -1, 0, 7)
		if !ok || AcT(n).family() == 0 {
			return fail(cme(cmeBadParams))
		}
		act = AcT(n)
	}
	m.st.copsMode, m.st.copsFormat, m.st.copsPLMN, m.st.copsAcT, m.st.copsHasAcT = mode, format, plmn, act, hasAcT
	if m.reg.phase == regCamped && m.reg.cell.PLMN == plmn && (!hasAcT || m.reg.cell.AcT.family() == act.family()) {
		return result{}
	}
	if m.st.fun != 1 || m.simState() != SIMReady {
		return result{} // the selection applies when the radio comes up
	}
	// The module searches for the network and answers once it has
	// registered or given up; in mode 4 it falls back to automatic.
	m.sched.cancel(m.reg.search)
	m.reg.search = nil
	m.setPhase(regSearching, Cell{}, false)
	return result{delay: m.cfg.RegisterDelay, settle: func() final {
		m.camp()
		if m.reg.phase == regCamped && (mode == 4 || m.reg.cell.PLMN == plmn) {
			return finalOK
		}
		return cme(cmeNoService)
	}}
}

func operName(plmn string, format int) string {
	o := operator(plmn)
	switch format {
	case 0:
		return o.Long
	case 1:
		return o.Short
	}
	return plmn
}

func lookupOper(name string, format int) (string, bool) {
	if format == 2 {
		return name, validPLMN(name)
	}
	for _, o := range Operators {
		if (format == 0 && strings.EqualFold(o.Long, name)) || (format == 1 && strings.EqualFold(o.Short, name)) {
			return o.PLMN, true
		}
	}
	return "", false
}

// copsScan answers AT+COPS=? after a scan of the air: one entry per
// network and technology in range, stat 2 for the serving one.
func (m *Modem) copsScan() result {
	if m.st.fun != 1 {
		return fail(cme(cmeNotAllowed))
	}
	type key struct {
		plmn string
		act  AcT
	}
	seen := map[key]bool{}
	var keys []key
	for _, c := range m.cells {
		k := key{c.PLMN, c.AcT}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	sort.SliceStable(keys, func(i, j int) bool { return rank(keys[i].act) > rank(keys[j].act) })
	var entries []string
	for _, k := range keys {
		stat := 1
		switch {
		case m.reg.phase == regCamped && m.reg.cell.PLMN == k.plmn && m.reg.cell.AcT == k.act:
			stat = 2
		case m.denyCause != 0 && m.reg.hasCell && m.reg.cell.PLMN == k.plmn:
			stat = 3
		}
		o := operator(k.plmn)
		entries = append(entries, fmt.Sprintf("(%d,%s,%s,%s,%d)", stat, quote(o.Long), quote(o.Short), quote(k.plmn), k.act))
	}
	line := "+COPS: " + strings.Join(entries, ",") + ",,(0,1,2,3,4),(0,1,2)"
	return result{info: []string{line}, delay: m.cfg.ScanDelay}
}

func cmdReg(d domain) handler {
	return func(m *Modem, c command) result {
		max := 5
		if d == csDomain {
			max = m.prof.CREGMax
		}
		p := m.regN(d)
		switch c.op {
		case opRead:
			return okInfo(m.regLine(d, *p, true))
		case opTest:
			return okInfo(fmt.Sprintf("%s: (0-%d)", domainPrefix[d], max))
		case opSet:
			n, ok := c.intArg(0, 0, 0, max)
			if !ok || c.nargs() > 1 {
				return fail(cme(cmeBadParams))
			}
			*p = n
			m.reg.lastURC[d] = ""
			if n > 0 {
				m.reg.lastURC[d] = m.regLine(d, n, false)
			}
			return result{}
		}
		return fail(errPlain)
	}
}

// serving is the cell whose signal the modem reports, if any.
func (m *Modem) serving() (Cell, bool) {
	if m.reg.hasCell && m.st.fun == 1 {
		return m.reg.cell, true
	}
	return Cell{}, false
}

// cmdCSQ is 27.007 §8.5: <rssi> 0 is -113 dBm or less, 31 is -51 or more.
func cmdCSQ(m *Modem, c command) result {
	switch c.op {
	case opTest:
		return okInfo("+CSQ: (0-31,99),(0-7,99)")
	case opAction:
	default:
		return fail(errPlain)
	}
	cell, ok := m.serving()
	if !ok {
		return okInfo("+CSQ: 99,99")
	}
	ber := 99
	if cell.AcT.family() == geran {
		ber = 0
	}
	return okInfo(fmt.Sprintf("+CSQ: %d,%d", clamp((cell.RSSI+113)/2, 0, 31), ber))
}

// cmdCESQ is 27.007 §8.69: levels per technology, 99 or 255 where unused.
func cmdCESQ(m *Modem, c command) result {
	switch c.op {
	case opTest:
		return okInfo("+CESQ: (0-63,99),(0-7,99),(0-96,255),(0-49,255),(0-34,255),(0-97,255)")
	case opAction:
	default:
		return fail(errPlain)
	}
	rxlev, ber, rscp, ecno, rsrq, rsrp := 99, 99, 255, 255, 255, 255
	if cell, ok := m.serving(); ok {
		switch cell.AcT.family() {
		case geran:
			rxlev, ber = clamp(cell.RSSI+111, 0, 63), 0
		case utran:
			rscp, ecno = clamp(cell.RSRP+121, 0, 96), clamp(2*cell.RSRQ+49, 0, 49)
		case eutran:
			rsrq, rsrp = clamp(2*cell.RSRQ+40, 0, 34), clamp(cell.RSRP+141, 0, 97)
		}
	}
	return okInfo(fmt.Sprintf("+CESQ: %d,%d,%d,%d,%d,%d", rxlev, ber, rscp, ecno, rsrq, rsrp))
}

func clamp(v, lo, hi int) int { return max(lo, min(hi, v)) }

// cmdWS46 is 27.007 §5.9, the standard radio lock.
func cmdWS46(m *Modem, c command) result {
	switch c.op {
	case opRead:
		return okInfo("+WS46: " + itoa(m.st.ws46))
	case opTest:
		return okInfo("+WS46: (12,22,25,28,29,30,31)")
	case opSet:
		n, ok := c.intArg(0, -1, 0, 99)
		if !ok || ws46Families(n) == allFamilies && n != 25 {
			return fail(cme(cmeBadParams))
		}
		m.st.ws46 = n
		m.reselect()
		return result{}
	}
	return fail(errPlain)
}
