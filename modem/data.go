package modem

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"mehfooz/modem/at"
	"mehfooz/modem/info"
)

// refuseSMS makes SMS arrive as +CMT URCs we can inspect, acknowledge and
// drop (TS 27.005 §3.4.1: +CNMI=2,2 routes SMS-DELIVERs to us unstored), and
// empties the SIM and modem stores.
func (s *session) refuseSMS(ctx context.Context) error {
	for _, c := range []string{"AT+CMGF=0", "AT+CSMS=1", "AT+CNMI=2,2,0,0,0"} {
		if err := s.try(ctx, c); err != nil {
			return err
		}
	}
	return s.purgeSMS(ctx)
}

// purgeSMS deletes every stored message in both stores.
func (s *session) purgeSMS(ctx context.Context) error {
	s.lastPurge = s.m.cfg.Clock.Now()
	for _, mem := range []string{"SM", "ME"} {
		if _, err := s.cmd(ctx, fmt.Sprintf(`AT+CPMS="%s","%s","%s"`, mem, mem, mem), "+CPMS"); err != nil {
			if fatal(err) {
				return err
			}
			continue
		}
		if err := s.try(ctx, "AT+CMGD=1,4"); err != nil {
			return err
		}
	}
	return nil
}

// setupRadio sets context 1 to the private APN before the modem attaches
// (on LTE the attach itself opens context 1's PDN: with an empty or public
// APN the network would open its internet PDN), deletes every other
// context, locks the RATs, and turns the radio on. It reads before it
// writes: if the contexts are already right, the radio is not cycled.
func (s *session) setupRadio(ctx context.Context) error {
	m := s.m
	if !s.haveNet {
		// Fail closed: no provisioning, no attach at all.
		if err := s.try(ctx, "AT+CFUN=4"); err != nil {
			return err
		}
		m.setPhase(PhaseSearching, "radio off: no private APN provisioned for "+s.home)
		return nil
	}
	r, err := s.cmd(ctx, "AT+CGDCONT?", "+CGDCONT")
	if fatal(err) {
		return err
	}
	var others []int
	right := false
	for _, l := range r.Info {
		c, err := info.ParseCGDCONT(l)
		if err != nil {
			continue
		}
		if c.CID == s.dataCID {
			right = strings.EqualFold(c.APN, s.net.APN) && strings.EqualFold(c.Type, s.net.PDP())
		} else {
			others = append(others, c.CID)
		}
	}
	radioOn := false
	if rr, err := s.cmd(ctx, "AT+CFUN?", "+CFUN"); err == nil {
		if l, ok := first(rr, "+CFUN"); ok {
			f, err := info.ParseCFUN(l)
			radioOn = err == nil && f == 1
		}
	} else if fatal(err) {
		return err
	}
	if !right || len(others) > 0 {
		if radioOn {
			if _, err := s.cmd(ctx, "AT+CFUN=4", ""); err != nil && fatal(err) {
				return err
			}
			radioOn = false
		}
		for _, cid := range others {
			if err := s.try(ctx, "AT+CGDCONT="+strconv.Itoa(cid)); err != nil {
				return err
			}
		}
		line := fmt.Sprintf("AT+CGDCONT=%d,%s,%s", s.dataCID, at.Quote(s.net.PDP()), at.Quote(s.net.APN))
		if _, err := s.cmd(ctx, line, ""); err != nil {
			if fatal(err) {
				return err
			}
			return &end{kind: endHung, reason: "context 1 refused", err: err}
		}
		if err := s.setAuth(ctx); err != nil {
			return err
		}
	}
	if err := s.lockRAT(ctx); err != nil {
		return err
	}
	if !radioOn {
		if _, err := s.cmd(ctx, "AT+CFUN=1", ""); err != nil {
			if fatal(err) {
				return err
			}
			return &end{kind: endHung, reason: "radio on refused", err: err}
		}
	}
	return nil
}

// setAuth sets the context's authentication (TS 27.007 §10.1.31); the
// password goes as a secret, never into a log.
func (s *session) setAuth(ctx context.Context) error {
	n := s.net
	c := at.Cmd{Line: fmt.Sprintf("AT+CGAUTH=%d,%d", s.dataCID, n.AuthCode())}
	if n.AuthCode() != 0 {
		c.Line += "," + at.Quote(n.User) + ","
		c.Secret = []byte(n.Password)
	}
	_, err := s.exec(ctx, c)
	clear(c.Secret)
	if err != nil && !fatal(err) {
		if n.AuthCode() == 0 {
			return nil // a modem without +CGAUTH needs none
		}
		return &end{kind: endHung, reason: "authentication refused", err: err}
	}
	return err
}

// activate brings context 1 up and checks that the network gave it the
// provisioned APN and an address.
func (s *session) activate(ctx context.Context) error {
	m := s.m
	active := false
	if r, err := s.cmd(ctx, "AT+CGACT?", "+CGACT"); err == nil {
		for _, l := range r.Info {
			if cid, on, err := info.ParseCGACT(l); err == nil && cid == s.dataCID {
				active = on
			}
		}
	} else if fatal(err) {
		return err
	}
	if !active {
		if _, err := s.cmd(ctx, "AT+CGACT=1,"+strconv.Itoa(s.dataCID), ""); err != nil {
			return err
		}
	}
	d, err := s.readDynamic(ctx)
	if err != nil {
		return err
	}
	if d.APN != "" && !sameAPN(d.APN, s.net.APN) {
		m.alert(Alert{Kind: AlertNoData, Severity: Critical, Title: "Data context came up on an unexpected APN; closed",
			Evidence: []string{"network gave APN " + d.APN, "provisioned " + s.net.APN}})
		if err := s.deactivate(ctx, "wrong APN"); err != nil {
			return err
		}
		return errors.New("network gave the context another APN")
	}
	if !d.Addr.IsValid() {
		return errors.New("context active without an address")
	}
	s.dataUp = true
	s.dataSince = m.cfg.Clock.Now()
	m.update(func(st *Status) { st.IP = d.Addr.Addr().String(); st.APN = s.net.APN })
	m.cfg.OnEvent(DataChanged{Up: true, APN: s.net.APN, Addr: d.Addr.Addr(), DNS: d.DNS})
	return nil
}

// readDynamic reads what the network gave the context: +CGCONTRDP, or just
// the address from +CGPADDR on modems without it.
func (s *session) readDynamic(ctx context.Context) (info.Dynamic, error) {
	r, err := s.cmd(ctx, "AT+CGCONTRDP="+strconv.Itoa(s.dataCID), "+CGCONTRDP")
	if err == nil {
		for _, l := range r.Info {
			if d, err := info.ParseCGCONTRDP(l); err == nil && d.CID == s.dataCID && d.Addr.IsValid() {
				return d, nil
			}
		}
	} else if fatal(err) {
		return info.Dynamic{}, err
	}
	r, err = s.cmd(ctx, "AT+CGPADDR="+strconv.Itoa(s.dataCID), "+CGPADDR")
	if err != nil {
		return info.Dynamic{}, err
	}
	for _, l := range r.Info {
		if cid, addrs, err := info.ParseCGPADDR(l); err == nil && cid == s.dataCID && len(addrs) > 0 {
			return info.Dynamic{CID: cid, Addr: netip.PrefixFrom(addrs[0], addrs[0].BitLen())}, nil
		}
	}
	return info.Dynamic{}, errors.New("no address for the context")
}

// sameAPN compares the APN the network reports with the provisioned one;
// the network may append its operator identifier (TS 23.003 §9.1.2:
// ".mncXXX.mccYYY.gprs").
func sameAPN(got, want string) bool {
	got, want = strings.ToLower(got), strings.ToLower(want)
	if got == want {
		return true
	}
	rest, ok := strings.CutPrefix(got, want+".mnc")
	return ok && strings.HasSuffix(rest, ".gprs") && strings.Contains(rest, ".mcc")
}

// deactivate takes the data context down on purpose.
func (s *session) deactivate(ctx context.Context, reason string) error {
	_, err := s.cmd(ctx, "AT+CGACT=0,"+strconv.Itoa(s.dataCID), "")
	if fatal(err) {
		return err
	}
	s.dataDown(reason)
	return nil
}

// dataDown records that the context is down.
func (s *session) dataDown(reason string) {
	if !s.dataUp {
		return
	}
	s.dataUp = false
	s.m.update(func(st *Status) { st.IP = "" })
	if s.m.Status().Phase == PhaseDataUp {
		s.m.setPhase(PhaseRegistered, "data context down: "+reason)
	}
	s.m.cfg.OnEvent(DataChanged{Up: false, APN: s.net.APN, Reason: reason})
}
