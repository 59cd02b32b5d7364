package sim

import (
	"slices"
	"strings"
)

// simState is what +CPIN reports for the card in the slot.
func (m *Modem) simState() SIMState {
	switch {
	case m.card == nil:
		return SIMAbsent
	case !m.simInit:
		return SIMBusy
	case m.card.PUKRetries == 0:
		return SIMBlocked
	case m.card.PINRetries == 0:
		return SIMPUK
	case m.card.PINEnabled && !m.unlocked:
		return SIMPIN
	}
	return SIMReady
}

// simError is the +CME ERROR a command that needs the card meets, or 0.
// needReady is for commands that need the PIN entered as well.
func (m *Modem) simError(needReady bool) int {
	switch s := m.simState(); s {
	case SIMAbsent:
		return cmeSIMNotInserted
	case SIMBusy:
		return cmeSIMBusy
	case SIMBlocked:
		return cmeSIMFailure
	case SIMPUK:
		if needReady {
			return cmeSIMPUK
		}
	case SIMPIN:
		if needReady {
			return cmeSIMPIN
		}
	}
	return 0
}

// startSIMInit begins the card's initialisation after power-up or
// insertion: SIMBusy profiles are busy for SIMInitDelay.
func (m *Modem) startSIMInit() {
	m.simInit = false
	m.unlocked = false
	if m.card == nil {
		if m.prof.Quectel {
			m.urc("+CPIN: NOT INSERTED")
		}
		m.reselect()
		return
	}
	if !m.prof.SIMBusy || m.cfg.SIMInitDelay <= 0 {
		m.simInitDone()
		return
	}
	gen, card := m.gen, m.card
	m.sched.after(m.cfg.SIMInitDelay, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.gen == gen && m.card == card && m.power == powerOn {
			m.simInitDone()
		}
	})
}

// simInitDone announces the card as a Quectel module does at boot.
func (m *Modem) simInitDone() {
	m.simInit = true
	if m.prof.Quectel {
		switch m.simState() {
		case SIMReady:
			m.simReadyURCs()
		case SIMPIN:
			m.urc("+CPIN: SIM PIN")
		case SIMPUK:
			m.urc("+CPIN: SIM PUK")
		}
	}
	m.reselect()
}

func (m *Modem) simReadyURCs() {
	m.urc("+CPIN: READY")
	m.urc("+QUSIM: 1")
	m.urc("+QIND: SMS DONE")
	m.urc("+QIND: PB DONE")
}

func addSIM(t map[string]handler) {
	t["+CPIN"] = cmdCPIN
	t["+CLCK"] = cmdCLCK
	t["+CIMI"] = cmdCIMI
	t["+CCID"] = cmdCCID
	t["+CRSM"] = cmdCRSM
}

// cmdCPIN is 27.007 §8.3.
func cmdCPIN(m *Modem, c command) result {
	switch c.op {
	case opTest:
		return result{}
	case opRead:
		if e := m.simError(false); e != 0 {
			return fail(cme(e))
		}
		switch m.simState() {
		case SIMPIN:
			return okInfo("+CPIN: SIM PIN")
		case SIMPUK:
			return okInfo("+CPIN: SIM PUK")
		}
		return okInfo("+CPIN: READY")
	case opSet:
	default:
		return fail(errPlain)
	}
	if e := m.simError(false); e != 0 {
		return fail(cme(e))
	}
	code, ok := c.strArg(0)
	if !ok || !validDigits(code, 4, 8) {
		return fail(cme(cmeBadParams))
	}
	card := m.card
	switch m.simState() {
	case SIMPIN:
		if code != card.PIN {
			card.PINRetries--
			m.tr.add('#', "wrong PIN, "+itoa(card.PINRetries)+" attempts left")
			if card.PINRetries == 0 && m.prof.Quectel {
				m.urc("+CPIN: SIM PUK")
			}
			return fail(cme(cmeWrongPassword))
		}
		card.PINRetries = 3
	case SIMPUK:
		pin, ok := c.strArg(1)
		if !ok || !validDigits(pin, 4, 8) {
			return fail(cme(cmeBadParams))
		}
		if code != card.PUK {
			card.PUKRetries--
			m.tr.add('#', "wrong PUK, "+itoa(card.PUKRetries)+" attempts left")
			return fail(cme(cmeWrongPassword))
		}
		card.PIN, card.PINRetries, card.PUKRetries = pin, 3, 10
	default:
		return fail(cme(cmeNotAllowed))
	}
	m.unlocked = true
	return result{then: func() {
		if m.prof.Quectel {
			m.simReadyURCs()
		}
		m.reselect()
	}}
}

// barring are the call-barring facilities of 27.007 §7.4; "SC" is the
// SIM's PIN lock and "FD" fixed dialling.
var barring = []string{"AO", "OI", "OX", "AI", "IR", "AB", "AG", "AC"}

// cmdCLCK is 27.007 §7.4.
func cmdCLCK(m *Modem, c command) result {
	switch c.op {
	case opTest:
		return okInfo(`+CLCK: ("SC","AO","OI","OX","AI","IR","AB","AG","AC","FD")`)
	case opSet:
	default:
		return fail(errPlain)
	}
	fac, ok := c.strArg(0)
	mode, mok := c.intArg(1, -1, 0, 2)
	if !ok || !mok {
		return fail(cme(cmeBadParams))
	}
	fac = strings.ToUpper(fac)
	passwd, hasPasswd := c.strArg(2)
	switch {
	case fac == "SC":
		if e := m.simError(true); e != 0 {
			return fail(cme(e))
		}
		if mode == 2 {
			return okInfo("+CLCK: " + b2i(m.card.PINEnabled))
		}
		if !hasPasswd {
			return fail(cme(cmeBadParams))
		}
		if passwd != m.card.PIN {
			m.card.PINRetries--
			return fail(cme(cmeWrongPassword))
		}
		m.card.PINRetries = 3
		m.card.PINEnabled = mode == 1
		return result{}
	case fac == "FD":
		if e := m.simError(true); e != 0 {
			return fail(cme(e))
		}
		if mode == 2 {
			return okInfo("+CLCK: 0")
		}
		return fail(cme(cmeNotSupported))
	case slices.Contains(barring, fac):
		// Barring is a supplementary service the network keeps: it needs
		// a circuit-switched registration to query or change.
		if stat, _, _ := m.domainStatus(csDomain); stat != 1 && stat != 5 {
			return fail(cme(cmeNoService))
		}
		if mode == 2 {
			if m.nv.barred[fac] {
				return okInfo("+CLCK: 1,1")
			}
			return okInfo("+CLCK: 0")
		}
		if !hasPasswd || passwd != "0000" {
			return fail(cme(cmeWrongPassword))
		}
		m.nv.barred[fac] = mode == 1
		return result{}
	}
	return fail(cme(cmeNotSupported))
}

func cmdCIMI(m *Modem, c command) result {
	switch c.op {
	case opTest:
		return result{}
	case opAction:
		if e := m.simError(true); e != 0 {
			return fail(cme(e))
		}
		return okInfo(m.card.IMSI)
	}
	return fail(errPlain)
}

// cmdCCID reads the ICCID, which the card gives without its PIN.
func cmdCCID(m *Modem, c command) result {
	switch c.op {
	case opTest:
		return result{}
	case opAction, opRead:
		if e := m.simError(false); e != 0 {
			return fail(cme(e))
		}
		return okInfo("+CCID: " + m.card.ICCID)
	}
	return fail(errPlain)
}

// cmdCRSM is 27.007 §8.18, restricted access to the card's files. Only
// READ BINARY (176) of EF_ICCID (12258) and EF_AD (28589) are modelled.
func cmdCRSM(m *Modem, c command) result {
	if c.op == opTest {
		return result{}
	}
	if c.op != opSet {
		return fail(errPlain)
	}
	cmd, ok1 := c.intArg(0, -1, 0, 255)
	file, ok2 := c.intArg(1, 0, 0, 65535)
	if !ok1 || !ok2 {
		return fail(cme(cmeBadParams))
	}
	if e := m.simError(file != 12258); e != 0 {
		return fail(cme(e))
	}
	if cmd != 176 {
		return fail(cme(cmeNotSupported))
	}
	switch file {
	case 12258: // EF_ICCID, TS 102 221 §13.2: BCD with swapped nibbles
		return okInfo(`+CRSM: 144,0,"` + swapBCD(m.card.ICCID, 10) + `"`)
	case 28589: // EF_AD, TS 31.102 §4.2.18: byte 4 is the MNC length
		return okInfo(`+CRSM: 144,0,"00000002"`)
	}
	return okInfo("+CRSM: 106,130") // 6A82: file not found
}

// swapBCD packs digits as semi-octets, low nibble first, padded with F.
func swapBCD(digits string, octets int) string {
	d := []byte(digits)
	for len(d) < 2*octets {
		d = append(d, 'F')
	}
	out := make([]byte, 0, 2*octets)
	for i := 0; i+1 < len(d) && len(out) < 2*octets; i += 2 {
		out = append(out, d[i+1], d[i])
	}
	return string(out)
}

func b2i(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
