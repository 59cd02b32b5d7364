package sim

import (
	"fmt"
	"strings"
)

// registration is where the modem is with the network.
type registration struct {
	phase   regPhase
	cell    Cell // the serving cell when camped, the rejecting one when denied
	hasCell bool
	search  *event // the pending end of a search
	cause   int    // EMM reject cause when denied
	// lastURC is the last registration URC sent per domain: a URC goes out
	// when what it would show changes (27.007 §7.2, §10.1.20, §10.1.22).
	lastURC [3]string
}

type regPhase int

const (
	regIdle      regPhase = iota // radio off, no SIM, or deregistered: stat 0
	regSearching                 // stat 2
	regDenied                    // stat 3
	regCamped                    // stat 1 (home) or 5 (roaming)
)

// domain is a registration domain and its URC.
type domain int

const (
	csDomain  domain = iota // +CREG: circuit switched
	psDomain                // +CGREG: GPRS packet switched
	epsDomain               // +CEREG: EPS (LTE)
)

var domainPrefix = [...]string{"+CREG", "+CGREG", "+CEREG"}

func (m *Modem) regN(d domain) *int {
	switch d {
	case csDomain:
		return &m.st.creg
	case psDomain:
		return &m.st.cgreg
	}
	return &m.st.cereg
}

// allowed is the set of radio families the modem may use: +WS46, Quectel's
// nwscanmode and a manual +COPS with an access technology all narrow it.
func (m *Modem) allowed() family {
	f := ws46Families(m.st.ws46)
	if m.prof.Quectel {
		f &= nwscanFamilies(m.nv.nwscanmode)
	}
	if (m.st.copsMode == 1 || m.st.copsMode == 4) && m.st.copsHasAcT {
		f &= m.st.copsAcT.family()
	}
	return f
}

// ws46Families maps +WS46 <n> (27.007 §5.9) to radio families.
func ws46Families(n int) family {
	switch n {
	case 12:
		return geran
	case 22:
		return utran
	case 28:
		return eutran
	case 29:
		return geran | utran
	case 30:
		return geran | eutran
	case 31:
		return utran | eutran
	}
	return allFamilies
}

func nwscanFamilies(n int) family {
	switch n {
	case 1:
		return geran
	case 2:
		return utran
	case 3:
		return eutran
	}
	return allFamilies
}

func rank(a AcT) int {
	switch a.family() {
	case eutran:
		return 3
	case utran:
		return 2
	}
	return 1
}

// bestCell picks the cell to register on: in the allowed families, the
// manually selected network if there is one, the home network before
// others, the newest technology, then the strongest signal.
func (m *Modem) bestCell() (Cell, bool) {
	allowed := m.allowed()
	home := ""
	if m.card != nil {
		home = m.card.HomePLMN()
	}
	pick := func(plmn string) (Cell, bool) {
		var best Cell
		found := false
		for _, c := range m.cells {
			if c.AcT.family()&allowed == 0 || (plmn != "" && c.PLMN != plmn) {
				continue
			}
			if !found || better(c, best, home) {
				best, found = c, true
			}
		}
		return best, found
	}
	switch m.st.copsMode {
	case 1:
		return pick(m.st.copsPLMN)
	case 4:
		if c, ok := pick(m.st.copsPLMN); ok {
			return c, true
		}
	}
	return pick("")
}

func better(a, b Cell, home string) bool {
	if (a.PLMN == home) != (b.PLMN == home) {
		return a.PLMN == home
	}
	if rank(a.AcT) != rank(b.AcT) {
		return rank(a.AcT) > rank(b.AcT)
	}
	return a.RSSI > b.RSSI
}

// reselect brings the registration in line with the state of the modem and
// the network. Call it with m.mu held after anything that could matter.
func (m *Modem) reselect() {
	if m.power != powerOn || m.st.fun != 1 || m.simState() != SIMReady || m.st.copsMode == 2 {
		m.setPhase(regIdle, Cell{}, false)
		return
	}
	best, found := m.bestCell()
	if m.denyCause != 0 {
		m.setPhase(regDenied, best, found)
		return
	}
	if m.reg.phase == regCamped && found && best.PLMN == m.reg.cell.PLMN && best.AcT.family() == m.reg.cell.AcT.family() {
		// The same network and technology: a new cell, no new search.
		m.reg.cell = best
		m.reportReg()
		return
	}
	if m.reg.phase == regSearching && m.reg.search != nil {
		return // the search under way picks the best cell when it ends
	}
	m.setPhase(regSearching, Cell{}, false)
	if !found {
		return // nothing to find: search on
	}
	gen := m.gen
	m.reg.search = m.sched.after(m.cfg.RegisterDelay, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.gen != gen {
			return
		}
		m.reg.search = nil
		m.camp()
	})
}

// camp ends a search: register on the best cell if still allowed.
func (m *Modem) camp() {
	if m.power != powerOn || m.st.fun != 1 || m.simState() != SIMReady || m.st.copsMode == 2 || m.denyCause != 0 {
		m.reselect()
		return
	}
	best, found := m.bestCell()
	if !found {
		m.reselect()
		return
	}
	m.reg.phase, m.reg.cell, m.reg.hasCell, m.reg.cause = regCamped, best, true, 0
	m.tr.add('#', fmt.Sprintf("registered on %s %s cell %X", best.PLMN, best.AcT, best.CI))
	m.stats.Registrations++
	if best.AcT.family() == eutran && !m.st.psDetached {
		m.attachDefaultBearer()
	}
	m.reportReg()
	m.nitz()
}

// setPhase leaves the current cell for phase; moving off a cell tears the
// packet contexts down as the network does.
func (m *Modem) setPhase(phase regPhase, cell Cell, hasCell bool) {
	if m.reg.phase == phase && m.reg.hasCell == hasCell && m.reg.cell == cell && (phase != regDenied || m.reg.cause == m.denyCause) {
		return
	}
	m.sched.cancel(m.reg.search)
	m.reg.search = nil
	if m.reg.phase == regCamped {
		// The network tore the bearers down unless the module itself
		// left: radio off, deregistration, or its SIM gone.
		m.dropContexts(m.st.fun == 1 && m.power == powerOn && m.st.copsMode != 2 && m.simState() == SIMReady)
	}
	m.reg.phase, m.reg.cell, m.reg.hasCell = phase, cell, hasCell
	m.reg.cause = 0
	if phase == regDenied {
		m.reg.cause = m.denyCause
		m.st.ceer = fmt.Sprintf(`"EMM reject",%d,%q`, m.denyCause, emmCause(m.denyCause))
	}
	m.reportReg()
}

// domainStatus is what a domain's registration URC and read command show:
// <stat>, the cell for the location fields, and the reject cause.
func (m *Modem) domainStatus(d domain) (stat int, cell *Cell, cause int) {
	switch m.reg.phase {
	case regSearching:
		return 2, nil, 0
	case regDenied:
		if m.reg.hasCell {
			c := m.reg.cell
			cell = &c
		}
		return 3, cell, m.reg.cause
	case regCamped:
	default:
		return 0, nil, 0
	}
	c := m.reg.cell
	lte := c.AcT.family() == eutran
	switch d {
	case epsDomain:
		if !lte || m.st.psDetached {
			return 0, nil, 0
		}
	case psDomain:
		if m.st.psDetached {
			return 0, nil, 0
		}
	case csDomain:
		// Quectel's servicedomain 1 is PS only; +CEMODE 0 and 3 are PS
		// modes, in which an LTE attach is EPS only (TS 24.301 §4.3).
		if (m.prof.Quectel && m.nv.servicedomain == 1) || (lte && (m.st.cemode == 0 || m.st.cemode == 3)) || (lte && m.st.psDetached) {
			return 0, nil, 0
		}
	}
	stat = 1
	if m.card == nil || c.PLMN != m.card.HomePLMN() {
		stat = 5
	}
	return stat, &c, 0
}

// regLine formats a registration URC (read=false) or read response for
// domain d at URC level n, in the shapes of 27.007 §7.2 (+CREG), §10.1.20
// (+CGREG) and §10.1.22 (+CEREG). n=4 adds PSM timers, which the simulated
// network never grants, so it shows as n=2; n=5 shows as n=3.
func (m *Modem) regLine(d domain, n int, read bool) string {
	stat, cell, cause := m.domainStatus(d)
	var f []string
	if read {
		f = append(f, itoa(n))
	}
	f = append(f, itoa(stat))
	if n >= 2 && cell != nil {
		f = append(f, `"`+fmt.Sprintf("%04X", cell.LAC)+`"`, `"`+ciHex(*cell)+`"`, itoa(int(cell.AcT)))
	}
	if (n == 3 || n == 5) && stat == 3 {
		if n < 2 || cell == nil {
			f = append(f, "", "", "")
		}
		if d == psDomain {
			f = append(f, "") // <rac>
		}
		f = append(f, "0", itoa(cause)) // <cause_type> 0: an EMM or MM cause
	}
	return domainPrefix[d] + ": " + strings.Join(f, ",")
}

func ciHex(c Cell) string {
	if c.AcT.family() == geran {
		return fmt.Sprintf("%04X", c.CI&0xffff)
	}
	return fmt.Sprintf("%08X", c.CI&0xfffffff)
}

// reportReg raises the registration URCs whose content changed.
func (m *Modem) reportReg() {
	for d := csDomain; d <= epsDomain; d++ {
		n := *m.regN(d)
		if n == 0 {
			m.reg.lastURC[d] = ""
			continue
		}
		line := m.regLine(d, n, false)
		if line != m.reg.lastURC[d] {
			m.reg.lastURC[d] = line
			m.urc(line)
		}
	}
}

// nitz reports the network's time zone after registration, as +CTZR asks
// (27.007 §8.41). Pakistan is UTC+5: 20 quarter hours, no daylight saving.
func (m *Modem) nitz() {
	now := m.clk.Now().UTC().Add(5 * 3600e9)
	switch m.st.ctzr {
	case 1:
		m.urc(`+CTZV: "+20"`)
	case 2:
		m.urc(`+CTZE: "+20",0,"` + now.Format("2006/01/02,15:04:05") + `"`)
	}
}

// emmCause names the EMM causes of TS 24.301 Annex A that a test is likely
// to inject.
func emmCause(c int) string {
	switch c {
	case 3:
		return "Illegal UE"
	case 6:
		return "Illegal ME"
	case 7:
		return "EPS services not allowed"
	case 8:
		return "EPS services and non-EPS services not allowed"
	case 11:
		return "PLMN not allowed"
	case 12:
		return "Tracking area not allowed"
	case 13:
		return "Roaming not allowed in this tracking area"
	case 14:
		return "EPS services not allowed in this PLMN"
	case 15:
		return "No suitable cells in tracking area"
	case 17:
		return "Network failure"
	case 22:
		return "Congestion"
	case 111:
		return "Protocol error, unspecified"
	}
	return "Unspecified"
}
