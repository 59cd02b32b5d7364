package sim

import "fmt"

// Stats counts what the modem saw and did since New.
type Stats struct {
	Boots         int
	Unplugs       int
	Commands      int // command lines run
	BytesIgnored  int // bytes the host sent while the module was off or hung
	URCs          int
	URCsDropped   int // the output queue was full
	URCsMisrouted int // Quectel urcport pointed elsewhere
	Registrations int
	Activations   int // PDP contexts brought up
	CallsHungUp   int // incoming calls the host hung up (ATH, +CHUP)
	CallsAnswered int
	CallsMissed   int // the caller gave up
	SMSDelivered  int
	SMSAcked      int // +CNMA
	SMSDeleted    int // +CMGD
	SMSSent       int
}

// Status is a snapshot of the modem for tests and the control socket.
type Status struct {
	Profile    string
	Power      string // "on", "off" or "hung"
	Port       Port   // Seq 0: no host attached
	SIM        SIMState
	ICCID      string
	IMSI       string
	PINRetries int
	PUKRetries int
	Fun        int
	// Stat is <stat> of +CREG, +CGREG and +CEREG.
	Stat      [3]int
	PLMN      string // serving network, "" when not on a cell
	AcT       AcT
	LAC       uint16
	CI        uint32
	Echo      bool
	CMEE      int
	URCs      [3]int // <n> of +CREG, +CGREG, +CEREG
	Contexts  []ContextStatus
	Ringing   string // the caller's number while a call rings
	URCPort   string // Quectel urcport
	RATLock   string // "ws46=28 nwscanmode=3"
	CNMI      [5]int
	Stored    int // SMS in the module's and the SIM's memories
	Stats     Stats
	DenyCause int
}

// ContextStatus is one PDP context.
type ContextStatus struct {
	CID    int
	Type   string
	APN    string
	Active bool
	Addr   string // IPv4 address when active
	NetAPN string // the APN the network granted
}

// Status returns a snapshot of the modem.
func (m *Modem) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Status{
		Profile:   m.prof.Name,
		Power:     [...]string{"off", "on", "hung"}[m.power],
		SIM:       m.simState(),
		Fun:       m.st.fun,
		Echo:      m.st.echo,
		CMEE:      m.st.cmee,
		URCs:      [3]int{m.st.creg, m.st.cgreg, m.st.cereg},
		URCPort:   m.nv.urcport,
		RATLock:   fmt.Sprintf("ws46=%d nwscanmode=%d", m.st.ws46, m.nv.nwscanmode),
		CNMI:      m.st.cnmi,
		Stored:    m.sms.used("SM") + m.sms.used("ME"),
		Stats:     m.stats,
		DenyCause: m.denyCause,
	}
	if m.sess != nil {
		s.Port = Port{Seq: m.sess.seq, Path: m.sess.path}
	}
	if c := m.card; c != nil {
		s.ICCID, s.IMSI, s.PINRetries, s.PUKRetries = c.ICCID, c.IMSI, c.PINRetries, c.PUKRetries
	}
	for d := csDomain; d <= epsDomain; d++ {
		s.Stat[d], _, _ = m.domainStatus(d)
	}
	if m.reg.phase == regCamped {
		c := m.reg.cell
		s.PLMN, s.AcT, s.LAC, s.CI = c.PLMN, c.AcT, c.LAC, c.CI
	}
	for _, cid := range m.cids() {
		p := m.pdp[cid]
		cs := ContextStatus{CID: cid, Type: p.Type, APN: p.APN, Active: p.active, NetAPN: p.netAPN}
		if p.active && p.addr4.IsValid() {
			cs.Addr = p.addr4.String()
		}
		s.Contexts = append(s.Contexts, cs)
	}
	if m.call != nil && !m.call.answered {
		s.Ringing = m.call.number
	}
	return s
}

// Lines renders the status for people, one "key: value" a line.
func (s Status) Lines() []string {
	l := []string{
		"profile: " + s.Profile,
		"power: " + s.Power,
		fmt.Sprintf("port: %d %s", s.Port.Seq, s.Port.Path),
		fmt.Sprintf("sim: %s iccid=%s imsi=%s pin-retries=%d puk-retries=%d", s.SIM, s.ICCID, s.IMSI, s.PINRetries, s.PUKRetries),
		fmt.Sprintf("cfun: %d", s.Fun),
		fmt.Sprintf("stat: creg=%d cgreg=%d cereg=%d", s.Stat[0], s.Stat[1], s.Stat[2]),
	}
	if s.PLMN != "" {
		l = append(l, fmt.Sprintf("cell: %s %s lac=%04X ci=%X", s.PLMN, s.AcT, s.LAC, s.CI))
	} else {
		l = append(l, "cell: none")
	}
	if s.DenyCause != 0 {
		l = append(l, fmt.Sprintf("deny: cause %d", s.DenyCause))
	}
	l = append(l,
		fmt.Sprintf("urc: creg=%d cgreg=%d cereg=%d urcport=%s", s.URCs[0], s.URCs[1], s.URCs[2], s.URCPort),
		"rat-lock: "+s.RATLock,
		fmt.Sprintf("echo: %t cmee=%d", s.Echo, s.CMEE))
	for _, c := range s.Contexts {
		state := "inactive"
		if c.Active {
			state = "active " + c.Addr + " " + c.NetAPN
		}
		l = append(l, fmt.Sprintf("context: %d %s %q %s", c.CID, c.Type, c.APN, state))
	}
	if s.Ringing != "" {
		l = append(l, "ringing: "+s.Ringing)
	}
	l = append(l, fmt.Sprintf("sms: cnmi=%s stored=%d", intList(s.CNMI[:]), s.Stored))
	st := s.Stats
	l = append(l, fmt.Sprintf("stats: boots=%d unplugs=%d commands=%d ignored-bytes=%d urcs=%d dropped=%d misrouted=%d registrations=%d activations=%d",
		st.Boots, st.Unplugs, st.Commands, st.BytesIgnored, st.URCs, st.URCsDropped, st.URCsMisrouted, st.Registrations, st.Activations),
		fmt.Sprintf("stats: calls-hung-up=%d answered=%d missed=%d sms-delivered=%d acked=%d deleted=%d sent=%d",
			st.CallsHungUp, st.CallsAnswered, st.CallsMissed, st.SMSDelivered, st.SMSAcked, st.SMSDeleted, st.SMSSent))
	return l
}
