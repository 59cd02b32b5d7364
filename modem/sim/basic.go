package sim

import "fmt"

// settings are the parameters a power cycle resets to their defaults.
type settings struct {
	echo    bool // E: V.250 §6.2.4
	verbose bool // V: §6.2.6
	quiet   bool // Q: §6.2.5
	cmee    int  // +CMEE: 27.007 §9.1
	sreg    map[int]int
	fun     int // +CFUN

	creg, cgreg, cereg int // <n> of the registration URCs

	copsMode   int // +COPS <mode>: 0 automatic, 1 manual, 2 deregister, 4 manual/automatic
	copsFormat int // 0 long, 1 short, 2 numeric
	copsPLMN   string
	copsAcT    AcT
	copsHasAcT bool
	ws46       int

	cemode     int
	ctzr       int
	cgerep     int
	psDetached bool // +CGATT=0
	auth       map[int]pdpAuth

	cnmi        [5]int
	csms        int
	cmgf        int
	cpms        [3]string
	pendingAcks int // +CMT deliveries waiting for +CNMA

	clip, crc int
	qsimstat  int

	ceer     string // the last +CEER report
	lastLine string // for "A/"
}

func defaultSettings(p *Profile) settings {
	s := settings{
		echo:    true,
		verbose: true,
		sreg:    map[int]int{0: 0, 3: 13, 4: 10, 5: 8, 6: 2, 7: 50, 8: 2, 10: 15},
		fun:     1,
		ws46:    25,
		cemode:  2,
		auth:    map[int]pdpAuth{},
		cpms:    [3]string{"SM", "SM", "SM"},
		ceer:    "No report available",
	}
	if p.Quectel {
		// Quectel firmware ships with new-message indications on.
		s.cnmi = [5]int{2, 1, 0, 0, 0}
		s.cpms = [3]string{"ME", "ME", "ME"}
	}
	return s
}

func addBasic(t map[string]handler) {
	t["E"] = flag(func(s *settings) *bool { return &s.echo })
	t["V"] = flag(func(s *settings) *bool { return &s.verbose })
	t["Q"] = flag(func(s *settings) *bool { return &s.quiet })
	t["Z"] = cmdReset
	t["&F"] = cmdReset
	t["X"] = accept(0, 4)
	t["&C"] = accept(0, 2)
	t["&D"] = accept(0, 2)
	t["&W"] = accept(0, 0)
	t["L"] = accept(0, 3)
	t["M"] = accept(0, 2)
	for n := range 13 {
		t[fmt.Sprintf("S%d", n)] = sRegister(n)
	}
	t["+CMEE"] = setting("+CMEE", func(m *Modem) *int { return &m.st.cmee }, 0, 2)
}

// flag is a basic command whose value 0 or 1 turns a setting off or on.
func flag(get func(*settings) *bool) handler {
	return func(m *Modem, c command) result {
		n, ok := c.intArg(0, 0, 0, 1)
		if !ok {
			return fail(errPlain)
		}
		*get(&m.st) = n == 1
		return result{}
	}
}

// accept is a basic command the simulator takes and ignores, within range.
func accept(lo, hi int) handler {
	return func(m *Modem, c command) result {
		if _, ok := c.intArg(0, lo, lo, hi); !ok {
			return fail(errPlain)
		}
		return result{}
	}
}

// cmdReset is Z and &F: back to the default settings. Nothing in the
// simulator is a stored user profile, so both restore the defaults that
// concern the command interface, and leave the radio as it is.
func cmdReset(m *Modem, c command) result {
	if _, ok := c.intArg(0, 0, 0, 0); !ok {
		return fail(errPlain)
	}
	d := defaultSettings(m.prof)
	m.st.echo, m.st.verbose, m.st.quiet, m.st.cmee = d.echo, d.verbose, d.quiet, d.cmee
	m.st.sreg = d.sreg
	return result{}
}

func sRegister(n int) handler {
	return func(m *Modem, c command) result {
		switch c.op {
		case opRead:
			return okInfo(fmt.Sprintf("%03d", m.st.sreg[n]))
		case opSet:
			v, ok := c.intArg(0, 0, 0, 255)
			if !ok {
				return fail(errPlain)
			}
			m.st.sreg[n] = v
			return result{}
		}
		return fail(errPlain)
	}
}

func addIdentity(t map[string]handler) {
	manufacturer := func(m *Modem) string { return m.prof.Manufacturer }
	model := func(m *Modem) string { return m.prof.Model }
	revision := func(m *Modem) string { return m.prof.Revision }
	for _, n := range []string{"+CGMI", "+GMI"} {
		t[n] = info(manufacturer)
	}
	for _, n := range []string{"+CGMM", "+GMM"} {
		t[n] = info(model)
	}
	for _, n := range []string{"+CGMR", "+GMR"} {
		t[n] = info(revision)
	}
	t["+CGSN"] = cmdCGSN
	t["+GSN"] = info(func(m *Modem) string { return m.prof.IMEI })
	t["I"] = func(m *Modem, c command) result {
		if _, ok := c.intArg(0, 0, 0, 0); !ok {
			return fail(errPlain)
		}
		return okInfo(m.prof.Manufacturer, m.prof.Model, "Revision: "+m.prof.Revision)
	}
	t["+GCAP"] = func(m *Modem, c command) result {
		if c.op != opAction {
			return fail(errPlain)
		}
		return okInfo("+GCAP: +CGSM")
	}
}

// info is an action command that prints one line; "=?" answers OK.
func info(get func(m *Modem) string) handler {
	return func(m *Modem, c command) result {
		switch c.op {
		case opAction:
			return okInfo(get(m))
		case opTest:
			return result{}
		}
		return fail(errPlain)
	}
}

// cmdCGSN is 27.007 §5.4: the IMEI bare, or with <snt>=1 as "+CGSN: "…"".
func cmdCGSN(m *Modem, c command) result {
	switch c.op {
	case opAction:
		return okInfo(m.prof.IMEI)
	case opSet:
		snt, ok := c.intArg(0, 0, 0, 1)
		if !ok {
			return fail(cme(cmeBadParams))
		}
		if snt == 0 {
			return okInfo(m.prof.IMEI)
		}
		return okInfo("+CGSN: " + quote(m.prof.IMEI))
	case opTest:
		return okInfo("+CGSN: (0,1)")
	}
	return fail(errPlain)
}
