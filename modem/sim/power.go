package sim

// nvram is what the module keeps across a power cycle.
type nvram struct {
	nwscanmode    int    // Quectel "nwscanmode": 0 auto, 1 GSM, 2 UMTS, 3 LTE
	servicedomain int    // Quectel "servicedomain": 0 CS, 1 PS, 2 CS and PS
	ims           int    // Quectel "ims": 0 per MBN, 1 on, 2 off (after reboot)
	urcCache      int    // Quectel "urc/cache"
	apRstLevel    int    // Quectel "ApRstLevel": 0 dumps on a crash, 1 resets
	modemRstLevel int    // Quectel "ModemRstLevel"
	urcport       string // Quectel AT+QURCCFG="urcport"
	barred        map[string]bool
}

func factoryNV(p *Profile) nvram {
	return nvram{servicedomain: 2, ims: 1, urcCache: 1, urcport: "usbat", barred: map[string]bool{}}
}

// powerOn boots the module: settings back to their defaults, the radio
// up, the card initialising; a Quectel module says so with RDY and +CFUN: 1.
func (m *Modem) powerOn() {
	m.gen++
	m.boots++
	m.power = powerOn
	m.st = defaultSettings(m.prof)
	m.imsActive = m.nv.ims != 2
	m.resetContexts(false)
	m.endCall(false)
	m.sched.cancel(m.reg.search)
	m.reg = registration{}
	if m.sess != nil {
		m.sess.fr.reset()
	}
	m.tr.add('#', "boot "+itoa(m.boots))
	m.stats.Boots = m.boots
	if m.prof.Quectel {
		m.urcAny("RDY")
		m.urcAny("+CFUN: 1")
	}
	m.startSIMInit()
}

// powerOff stops the module: nothing answers until powerOn.
func (m *Modem) powerOff() {
	if m.power == powerOff {
		return
	}
	m.gen++
	m.power = powerOff
	m.endCall(false)
	m.sched.cancel(m.reg.search)
	m.dropContexts(false)
	m.reg = registration{}
	if m.sess != nil {
		m.sess.fr.reset()
	}
}

// reboot is a module reset, whatever asked for it. A USB module drops off
// the bus and comes back on a fresh port; a UART one stays.
func (m *Modem) reboot(why string) {
	m.tr.add('#', "reset: "+why)
	m.powerOff()
	if m.cfg.USB && m.sess != nil {
		m.bootOnAttach = true
		m.replug = true
		m.sess.drainThenStop()
		return
	}
	m.powerOn()
}

// cutPower is a power cut, or +QPOWD: a USB module leaves the bus.
func (m *Modem) cutPower() {
	m.powerOff()
	if m.cfg.USB && m.sess != nil {
		m.bootOnAttach = false
		m.replug = true
		m.sess.drainThenStop()
	}
}

func (m *Modem) format() format {
	return format{verbose: m.st.verbose, quiet: m.st.quiet, cmee: m.st.cmee}
}

// urc raises an unsolicited result code on our port, if the module is on
// and a Quectel module's urcport routes URCs to us.
func (m *Modem) urc(lines ...string) {
	if m.prof.Quectel && m.nv.urcport != "all" && m.nv.urcport != m.cfg.PortName {
		if m.power == powerOn {
			m.stats.URCsMisrouted++
			m.tr.add('#', "URC sent to port "+m.nv.urcport+": "+lines[0])
		}
		return
	}
	m.urcAny(lines...)
}

// urcAny raises a URC on our port regardless of routing, as the boot URCs
// appear on every port.
func (m *Modem) urcAny(lines ...string) {
	if m.power != powerOn || m.sess == nil {
		return
	}
	for _, l := range lines {
		m.tr.add('!', l)
	}
	if m.sess.out.push(m.format().urc(joinLines(lines))) {
		m.stats.URCs++
	} else {
		m.stats.URCsDropped++
	}
}
