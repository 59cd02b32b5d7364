package sim

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// pdpContext is a defined PDP context and, when active, what the network
// gave it.
type pdpContext struct {
	Context
	active bool
	addr4  netip.Addr
	addr6  netip.Addr
	netAPN string // the APN the network granted, with its operator suffix
	public bool   // the network's internet APN, not a private one
}

type pdpAuth struct {
	prot       int // 0 none, 1 PAP, 2 CHAP
	user, pass string
}

// resetContexts deactivates every context and, on a factory reset or for
// firmware that keeps none in NV, restores the factory definitions.
func (m *Modem) resetContexts(factory bool) {
	if factory || !m.prof.PersistContexts {
		m.pdp = map[int]*pdpContext{}
		for _, c := range m.prof.Contexts {
			m.pdp[c.CID] = &pdpContext{Context: c}
		}
	}
	for _, p := range m.pdp {
		p.active, p.addr4, p.addr6, p.netAPN = false, netip.Addr{}, netip.Addr{}, ""
	}
}

func (m *Modem) cids() []int {
	cids := make([]int, 0, len(m.pdp))
	for cid := range m.pdp {
		cids = append(cids, cid)
	}
	sort.Ints(cids)
	return cids
}

// cgev raises a +CGEV packet domain event when +CGEREP enables them
// (27.007 §10.1.19).
func (m *Modem) cgev(event string) {
	if m.st.cgerep == 1 || m.st.cgerep == 2 {
		m.urc("+CGEV: " + event)
	}
}

// attachDefaultBearer is the LTE attach: the network activates context 1
// with its APN, or with its own internet APN when that APN is empty.
func (m *Modem) attachDefaultBearer() {
	p := m.pdp[1]
	if p == nil {
		p = &pdpContext{Context: Context{CID: 1, Type: "IPV4V6"}}
		m.pdp[1] = p
	}
	if !p.active {
		m.activate(p)
	}
}

// activate gives a context its addresses. A private APN gets an address in
// 10.0.0.0/8; the operator's public internet APN a carrier-grade NAT
// address in 100.64.0.0/10, so a test can tell which one a daemon brought up.
func (m *Modem) activate(p *pdpContext) {
	plmn := m.reg.cell.PLMN
	op := operator(plmn)
	apn := p.APN
	if apn == "" {
		apn = op.APN
	}
	p.public = strings.EqualFold(apn, op.APN)
	mnc := 0
	fmt.Sscanf(plmn[3:], "%d", &mnc)
	host := byte(2 + m.boots%250)
	if p.public {
		p.addr4 = netip.AddrFrom4([4]byte{100, byte(64 + mnc%64), byte(p.CID), host})
	} else {
		p.addr4 = netip.AddrFrom4([4]byte{10, byte(40 + mnc), byte(p.CID), host})
	}
	if p.Type == "IPV6" || p.Type == "IPV4V6" {
		p.addr6 = netip.AddrFrom16([16]byte{0xfd, 0x00, 0x04, 0x10, 0, byte(mnc), 0, byte(p.CID), 15: host})
	}
	if p.Type == "IPV6" {
		p.addr4 = netip.Addr{}
	}
	// TS 23.003 §9.1.2: the APN operator identifier.
	p.netAPN = fmt.Sprintf("%s.mnc%03d.mcc%s.gprs", apn, mnc, plmn[:3])
	p.active = true
	m.stats.Activations++
	m.tr.add('#', fmt.Sprintf("context %d up on %s: %s", p.CID, p.netAPN, p.addr4))
	m.cgev("ME PDN ACT " + itoa(p.CID))
}

// dropContexts deactivates every active context; network says whether the
// network (NW) or the module (ME) did it, which the +CGEV event names.
func (m *Modem) dropContexts(network bool) {
	who := "ME"
	if network {
		who = "NW"
	}
	any := false
	for _, cid := range m.cids() {
		p := m.pdp[cid]
		if !p.active {
			continue
		}
		p.active, p.addr4, p.addr6, p.netAPN = false, netip.Addr{}, netip.Addr{}, ""
		any = true
		m.cgev(who + " PDN DEACT " + itoa(cid))
	}
	if any {
		m.cgev(who + " DETACH")
	}
}

func addPacket(t map[string]handler) {
	t["+CGDCONT"] = cmdCGDCONT
	t["+CGAUTH"] = cmdCGAUTH
	t["+CGATT"] = cmdCGATT
	t["+CGACT"] = cmdCGACT
	t["+CGPADDR"] = cmdCGPADDR
	t["+CGCONTRDP"] = cmdCGCONTRDP
	t["+CGEREP"] = cmdCGEREP
}

const maxCID = 15

// cmdCGDCONT is 27.007 §10.1.1. "+CGDCONT=<cid>" alone undefines it.
func cmdCGDCONT(m *Modem, c command) result {
	switch c.op {
	case opTest:
		var lines []string
		for _, t := range []string{"IP", "IPV6", "IPV4V6"} {
			lines = append(lines, fmt.Sprintf(`+CGDCONT: (1-%d),"%s",,,(0-3),(0-4),(0-1),(0-1)`, maxCID, t))
		}
		return okInfo(lines...)
	case opRead:
		var lines []string
		for _, cid := range m.cids() {
			p := m.pdp[cid]
			if m.prof.Quectel {
				addr := "0.0.0.0"
				if p.Type != "IP" {
					addr = "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0"
				}
				lines = append(lines, fmt.Sprintf("+CGDCONT: %d,%s,%s,%s,0,0,0,0", cid, quote(p.Type), quote(p.APN), quote(addr)))
			} else {
				lines = append(lines, fmt.Sprintf(`+CGDCONT: %d,%s,%s,"",0,0`, cid, quote(p.Type), quote(p.APN)))
			}
		}
		return okInfo(lines...)
	case opSet:
	default:
		return fail(errPlain)
	}
	cid, ok := c.intArg(0, -1, 1, maxCID)
	if !ok {
		return fail(cme(cmeBadParams))
	}
	if c.nargs() == 1 {
		if p := m.pdp[cid]; p != nil && p.active {
			return fail(cme(cmeNotAllowed))
		}
		delete(m.pdp, cid)
		return result{}
	}
	typ, ok := c.strArg(1)
	typ = strings.ToUpper(typ)
	if !ok || (typ != "IP" && typ != "IPV6" && typ != "IPV4V6") {
		return fail(cme(cmeBadParams))
	}
	apn, _ := c.strArg(2)
	if len(apn) > 100 {
		return fail(cme(cmeBadParams))
	}
	p := m.pdp[cid]
	if p == nil {
		p = &pdpContext{}
		m.pdp[cid] = p
	}
	// A new definition applies at the next activation.
	p.Context = Context{CID: cid, Type: typ, APN: apn}
	return result{}
}

// cmdCGAUTH is 27.007 §10.1.31.
func cmdCGAUTH(m *Modem, c command) result {
	switch c.op {
	case opTest:
		return okInfo(fmt.Sprintf("+CGAUTH: (1-%d),(0-2),,", maxCID))
	case opRead:
		var lines []string
		for _, cid := range m.cids() {
			a := m.st.auth[cid]
			lines = append(lines, fmt.Sprintf("+CGAUTH: %d,%d,%s", cid, a.prot, quote(a.user)))
		}
		return okInfo(lines...)
	case opSet:
	default:
		return fail(errPlain)
	}
	cid, ok1 := c.intArg(0, -1, 1, maxCID)
	prot, ok2 := c.intArg(1, 0, 0, 2)
	if !ok1 || !ok2 || c.nargs() > 4 {
		return fail(cme(cmeBadParams))
	}
	user, _ := c.strArg(2)
	pass, _ := c.strArg(3)
	m.st.auth[cid] = pdpAuth{prot: prot, user: user, pass: pass}
	return result{}
}

func (m *Modem) psRegistered() bool {
	d := psDomain
	if m.reg.hasCell && m.reg.cell.AcT.family() == eutran {
		d = epsDomain
	}
	stat, _, _ := m.domainStatus(d)
	return stat == 1 || stat == 5
}

// cmdCGATT is 27.007 §10.1.9.
func cmdCGATT(m *Modem, c command) result {
	switch c.op {
	case opRead:
		return okInfo("+CGATT: " + b2i(m.psRegistered()))
	case opTest:
		return okInfo("+CGATT: (0,1)")
	case opSet:
	default:
		return fail(errPlain)
	}
	state, ok := c.intArg(0, -1, 0, 1)
	if !ok || c.nargs() > 1 {
		return fail(cme(cmeBadParams))
	}
	if state == 0 {
		if !m.st.psDetached {
			m.st.psDetached = true
			m.dropContexts(false)
			m.reportReg()
		}
		return result{}
	}
	if m.reg.phase != regCamped {
		return result{delay: m.cfg.ActivateDelay, final: cme(cmeNoService)}
	}
	if m.st.psDetached {
		m.st.psDetached = false
		if m.reg.cell.AcT.family() == eutran {
			m.attachDefaultBearer()
		}
		m.reportReg()
	}
	return result{delay: m.cfg.ActivateDelay}
}

// cmdCGACT is 27.007 §10.1.10.
func cmdCGACT(m *Modem, c command) result {
	switch c.op {
	case opRead:
		var lines []string
		for _, cid := range m.cids() {
			lines = append(lines, fmt.Sprintf("+CGACT: %d,%s", cid, b2i(m.pdp[cid].active)))
		}
		return okInfo(lines...)
	case opTest:
		return okInfo("+CGACT: (0,1)")
	case opSet:
	default:
		return fail(errPlain)
	}
	state, ok := c.intArg(0, -1, 0, 1)
	if !ok {
		return fail(cme(cmeBadParams))
	}
	var cids []int
	for i := 1; i < len(c.args); i++ {
		cid, ok := c.intArg(i, -1, 1, maxCID)
		if !ok || m.pdp[cid] == nil {
			return fail(cme(cmeBadParams))
		}
		cids = append(cids, cid)
	}
	if len(cids) == 0 {
		cids = m.cids()
	}
	if state == 0 {
		for _, cid := range cids {
			if p := m.pdp[cid]; p.active {
				p.active, p.addr4, p.addr6, p.netAPN = false, netip.Addr{}, netip.Addr{}, ""
				m.cgev("ME PDN DEACT " + itoa(cid))
			}
		}
		return result{}
	}
	if !m.psRegistered() {
		m.st.ceer = `"SM reject",0,"No cause information available"`
		return result{delay: m.cfg.ActivateDelay, final: cme(cmeNoService)}
	}
	for _, cid := range cids {
		if p := m.pdp[cid]; !p.active {
			m.activate(p)
		}
	}
	return result{delay: m.cfg.ActivateDelay}
}

// dotted formats an address the way 27.007 does without +CGPIAF: IPv6 as
// sixteen dot-separated decimal bytes.
func dotted(a netip.Addr) string {
	b := a.AsSlice()
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = itoa(int(x))
	}
	return strings.Join(parts, ".")
}

// cmdCGPADDR is 27.007 §10.1.14.
func cmdCGPADDR(m *Modem, c command) result {
	switch c.op {
	case opTest:
		return okInfo("+CGPADDR: (" + intList(m.cids()) + ")")
	case opAction, opSet:
	default:
		return fail(errPlain)
	}
	cids := m.cids()
	if c.op == opSet {
		cids = nil
		for i := range c.args {
			cid, ok := c.intArg(i, -1, 1, maxCID)
			if !ok || m.pdp[cid] == nil {
				return fail(cme(cmeBadParams))
			}
			cids = append(cids, cid)
		}
	}
	var lines []string
	for _, cid := range cids {
		p := m.pdp[cid]
		f := []string{itoa(cid)}
		if p.active {
			if p.addr4.IsValid() {
				f = append(f, quote(p.addr4.String()))
			}
			if p.addr6.IsValid() {
				f = append(f, quote(dotted(p.addr6)))
			}
		}
		lines = append(lines, "+CGPADDR: "+strings.Join(f, ","))
	}
	return okInfo(lines...)
}

// cmdCGCONTRDP is 27.007 §10.1.23: what the network granted an active
// context. Dual-stack contexts give one line per address family.
func cmdCGCONTRDP(m *Modem, c command) result {
	switch c.op {
	case opTest:
		return okInfo("+CGCONTRDP: (" + intList(m.cids()) + ")")
	case opAction, opSet:
	default:
		return fail(errPlain)
	}
	var cids []int
	if c.op == opSet {
		cid, ok := c.intArg(0, -1, 1, maxCID)
		if !ok || c.nargs() > 1 {
			return fail(cme(cmeBadParams))
		}
		cids = []int{cid}
	} else {
		cids = m.cids()
	}
	var lines []string
	for _, cid := range cids {
		p := m.pdp[cid]
		if p == nil || !p.active {
			continue
		}
		bearer := 4 + cid
		if a := p.addr4; a.IsValid() {
			b := a.As4()
			gw := netip.AddrFrom4([4]byte{b[0], b[1], b[2], 1})
			dns1 := netip.AddrFrom4([4]byte{b[0], b[1], 0, 53})
			dns2 := netip.AddrFrom4([4]byte{b[0], b[1], 0, 54})
			lines = append(lines, fmt.Sprintf("+CGCONTRDP: %d,%d,%s,%s,%s,%s,%s", cid, bearer, quote(p.netAPN),
				quote(a.String()+".255.255.255.0"), quote(gw.String()), quote(dns1.String()), quote(dns2.String())))
		}
		if a := p.addr6; a.IsValid() {
			mask := netip.AddrFrom16([16]byte{255, 255, 255, 255, 255, 255, 255, 255})
			lines = append(lines, fmt.Sprintf("+CGCONTRDP: %d,%d,%s,%s", cid, bearer, quote(p.netAPN), quote(dotted(a)+"."+dotted(mask))))
		}
	}
	return okInfo(lines...)
}

// cmdCGEREP is 27.007 §10.1.19: <mode> 0 buffers events, 1 and 2 send them.
func cmdCGEREP(m *Modem, c command) result {
	switch c.op {
	case opRead:
		return okInfo("+CGEREP: " + itoa(m.st.cgerep) + ",0")
	case opTest:
		return okInfo("+CGEREP: (0-2),(0,1)")
	case opSet:
		mode, ok1 := c.intArg(0, 0, 0, 2)
		_, ok2 := c.intArg(1, 0, 0, 1)
		if !ok1 || !ok2 || c.nargs() > 2 {
			return fail(cme(cmeBadParams))
		}
		m.st.cgerep = mode
		return result{}
	}
	return fail(errPlain)
}
