package sim

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// smsStore holds the messages stored in the SIM ("SM") and the module
// ("ME"); "MT" is both, as 27.005 §3.2.2 defines it.
type smsStore struct {
	mem map[string][]*storedSMS // slots, nil when free
}

type storedSMS struct {
	pdu  string
	tpdu int // TPDU length in octets
	read bool
}

var smsCapacity = map[string]int{"SM": 50, "ME": 180}

func (s *smsStore) init() {
	s.mem = map[string][]*storedSMS{}
	for name, n := range smsCapacity {
		s.mem[name] = make([]*storedSMS, n)
	}
}

// slots resolves a memory name; MT is stored in ME.
func (s *smsStore) slots(name string) []*storedSMS {
	if name == "MT" {
		name = "ME"
	}
	return s.mem[name]
}

func (s *smsStore) used(name string) int {
	n := 0
	for _, m := range s.slots(name) {
		if m != nil {
			n++
		}
	}
	return n
}

// Stored counts the messages in a memory ("SM", "ME" or "MT").
func (m *Modem) Stored(mem string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if mem == "MT" {
		return m.sms.used("SM") + m.sms.used("ME")
	}
	return m.sms.used(mem)
}

// indexBase is where a memory's indexes start: 0 on Quectel, 1 elsewhere.
func (m *Modem) indexBase() int {
	if m.prof.Quectel {
		return 0
	}
	return 1
}

func addSMS(t map[string]handler) {
	t["+CSMS"] = cmdCSMS
	t["+CMGF"] = setting("+CMGF", func(m *Modem) *int { return &m.st.cmgf }, 0, 1)
	t["+CNMI"] = cmdCNMI
	t["+CPMS"] = cmdCPMS
	t["+CMGD"] = cmdCMGD
	t["+CMGL"] = cmdCMGL
	t["+CNMA"] = cmdCNMA
	t["+CMGS"] = cmdCMGS
}

// smsError is the +CMS ERROR for a command that needs the card.
func (m *Modem) smsError() int {
	switch m.simError(true) {
	case 0:
		return 0
	case cmeSIMNotInserted:
		return cmsSIMNotIn
	case cmeSIMBusy:
		return cmsSIMBusy
	case cmeSIMPIN:
		return cmsSIMPIN
	}
	return cmsUnknown
}

// cmdCSMS is 27.005 §3.2.1: service 1 makes +CMT need a +CNMA.
func cmdCSMS(m *Modem, c command) result {
	switch c.op {
	case opRead:
		return okInfo(fmt.Sprintf("+CSMS: %d,1,1,1", m.st.csms))
	case opTest:
		return okInfo("+CSMS: (0,1)")
	case opSet:
		n, ok := c.intArg(0, -1, 0, 1)
		if !ok {
			return fail(cms(cmsNotAllowed))
		}
		m.st.csms = n
		return okInfo("+CSMS: 1,1,1")
	}
	return fail(errPlain)
}

// cmdCNMI is 27.005 §3.4.1.
func cmdCNMI(m *Modem, c command) result {
	switch c.op {
	case opRead:
		n := m.st.cnmi
		return okInfo(fmt.Sprintf("+CNMI: %d,%d,%d,%d,%d", n[0], n[1], n[2], n[3], n[4]))
	case opTest:
		return okInfo("+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)")
	case opSet:
	default:
		return fail(errPlain)
	}
	hi := [5]int{2, 3, 2, 2, 1}
	n := m.st.cnmi
	for i := range 5 {
		v, ok := c.intArg(i, n[i], 0, hi[i])
		if !ok || (i == 2 && v == 1) {
			return fail(cms(cmsNotAllowed))
		}
		n[i] = v
	}
	if len(c.args) > 5 {
		return fail(cms(cmsNotAllowed))
	}
	m.st.cnmi = n
	return result{}
}

// cmdCPMS is 27.005 §3.2.2.
func cmdCPMS(m *Modem, c command) result {
	switch c.op {
	case opTest:
		return okInfo(`+CPMS: ("SM","ME","MT"),("SM","ME","MT"),("SM","ME","MT")`)
	case opRead:
		var f []string
		for _, mem := range m.st.cpms {
			f = append(f, fmt.Sprintf("%s,%d,%d", quote(mem), m.sms.used(mem), len(m.sms.slots(mem))))
		}
		return okInfo("+CPMS: " + strings.Join(f, ","))
	case opSet:
	default:
		return fail(errPlain)
	}
	if e := m.smsError(); e != 0 {
		return fail(cms(e))
	}
	mems := m.st.cpms
	for i := range 3 {
		s, ok := c.strArg(i)
		if !ok {
			if i == 0 {
				return fail(cms(cmsNotAllowed))
			}
			continue
		}
		s = strings.ToUpper(s)
		if m.sms.slots(s) == nil {
			return fail(cms(cmsNotAllowed))
		}
		mems[i] = s
	}
	if len(c.args) > 3 {
		return fail(cms(cmsNotAllowed))
	}
	m.st.cpms = mems
	var f []string
	for _, mem := range mems {
		f = append(f, fmt.Sprintf("%d,%d", m.sms.used(mem), len(m.sms.slots(mem))))
	}
	return okInfo("+CPMS: " + strings.Join(f, ","))
}

// cmdCMGD is 27.005 §3.5.4; <delflag> 1 to 4 delete many at once.
func cmdCMGD(m *Modem, c command) result {
	switch c.op {
	case opTest:
		return okInfo("+CMGD: (),(0-4)")
	case opSet:
	default:
		return fail(errPlain)
	}
	if e := m.smsError(); e != 0 {
		return fail(cms(e))
	}
	slots := m.sms.slots(m.st.cpms[0])
	base := m.indexBase()
	flag, ok := c.intArg(1, 0, 0, 4)
	if !ok || c.nargs() > 2 {
		return fail(cms(cmsNotAllowed))
	}
	if flag > 0 {
		for i, s := range slots {
			if s != nil && (flag == 4 || s.read) {
				slots[i] = nil
				m.stats.SMSDeleted++
			}
		}
		return result{}
	}
	idx, ok := c.intArg(0, -1, base, base+len(slots)-1)
	if !ok {
		return fail(cms(cmsInvalidIndex))
	}
	if slots[idx-base] != nil {
		slots[idx-base] = nil
		m.stats.SMSDeleted++
	}
	return result{}
}

// cmdCMGL is 27.005 §3.4.2 in PDU mode: <stat> 4 lists all.
func cmdCMGL(m *Modem, c command) result {
	if c.op == opTest {
		return okInfo("+CMGL: (0-4)")
	}
	if c.op != opSet && c.op != opAction {
		return fail(errPlain)
	}
	if e := m.smsError(); e != 0 {
		return fail(cms(e))
	}
	stat, ok := c.intArg(0, 0, 0, 4)
	if !ok || m.st.cmgf != 0 {
		return fail(cms(cmsNotAllowed))
	}
	var lines []string
	for i, s := range m.sms.slots(m.st.cpms[0]) {
		if s == nil || (stat == 0 && s.read) || (stat == 1 && !s.read) || stat == 2 || stat == 3 {
			continue
		}
		st := 0
		if s.read {
			st = 1
		}
		lines = append(lines, fmt.Sprintf("+CMGL: %d,%d,,%d", i+m.indexBase(), st, s.tpdu), s.pdu)
		s.read = true
	}
	return okInfo(lines...)
}

// cmdCNMA is 27.005 §3.4.4: the host acknowledges a +CMT.
func cmdCNMA(m *Modem, c command) result {
	if c.op == opTest {
		return okInfo("+CNMA: (0-2)")
	}
	if c.op == opSet {
		if _, ok := c.intArg(0, 0, 0, 2); !ok {
			return fail(cms(cmsNotAllowed))
		}
	} else if c.op != opAction {
		return fail(errPlain)
	}
	if m.st.csms != 1 || m.st.pendingAcks == 0 {
		return fail(cms(cmsNoAckPending))
	}
	m.st.pendingAcks--
	m.stats.SMSAcked++
	return result{}
}

// cmdCMGS is 27.005 §3.5.1: the DCE prompts with "> " and reads the PDU
// (or text) up to Ctrl-Z. The handset never sends SMS; this is here so a
// host's prompt handling can be tested.
func cmdCMGS(m *Modem, c command) result {
	if c.op == opTest {
		return result{}
	}
	if c.op != opSet {
		return fail(errPlain)
	}
	if e := m.smsError(); e != 0 {
		return fail(cms(e))
	}
	if m.st.cmgf == 0 {
		n, ok := c.intArg(0, -1, 1, 164)
		if !ok {
			return fail(cms(cmsBadPDU))
		}
		m.sending = n
	} else {
		if _, ok := c.strArg(0); !ok {
			return fail(cms(cmsBadText))
		}
		m.sending = -1
	}
	return result{prompt: true}
}

// finishSend ends a +CMGS prompt.
func (s *session) finishSend(cancelled bool, text string) {
	m := s.m
	if cancelled {
		m.tr.add('>', "<ESC>")
		s.finish(finalOK)
		return
	}
	m.tr.add('>', text+"<Ctrl-Z>")
	if m.sending >= 0 {
		b, err := hex.DecodeString(text)
		if err != nil || len(b) < 1 || int(b[0])+1+m.sending != len(b) {
			s.finish(cms(cmsBadPDU))
			return
		}
	}
	if m.reg.phase != regCamped {
		s.finish(cms(cmsNoService))
		return
	}
	m.mr = (m.mr + 1) % 256
	m.stats.SMSSent++
	line := "+CMGS: " + itoa(m.mr)
	m.tr.add('<', line)
	s.out.push(m.format().info([]string{line}))
	s.finish(finalOK)
}

// deliverSMS routes an incoming message as +CNMI says (27.005 §3.4.1):
// <mt> 2 sends it as +CMT (class 2 is stored all the same), 1 stores it
// and sends +CMTI, 0 stores it silently.
func (m *Modem) deliverSMS(from string, kind SMSKind, text string) error {
	if m.power != powerOn || m.reg.phase != regCamped {
		return fmt.Errorf("deliver SMS: %w", ErrNotRegistered)
	}
	pdu, n := deliverPDU(from, kind, text, m.clk.Now())
	m.stats.SMSDelivered++
	m.tr.add('#', fmt.Sprintf("SMS %s from %s", kind, from))
	mode, mt := m.st.cnmi[0], m.st.cnmi[1]
	if mode != 0 && (mt == 2 || (mt == 3 && kind == SMSClass0)) {
		if m.st.cmgf == 0 {
			m.urc(fmt.Sprintf("+CMT: ,%d", n), pdu)
		} else {
			ts := m.clk.Now().UTC().Add(5*3600e9).Format("06/01/02,15:04:05") + "+20"
			m.urc(fmt.Sprintf("+CMT: %s,,%s", quote(from), quote(ts)), text)
		}
		if m.st.csms == 1 {
			m.st.pendingAcks++
		}
		return nil
	}
	mem := m.st.cpms[2]
	slots := m.sms.slots(mem)
	for i, s := range slots {
		if s == nil {
			slots[i] = &storedSMS{pdu: pdu, tpdu: n}
			if mode != 0 && mt != 0 {
				m.urc(fmt.Sprintf("+CMTI: %s,%d", quote(mem), i+m.indexBase()))
			}
			return nil
		}
	}
	m.tr.add('#', "SMS lost: "+mem+" full")
	return nil
}
