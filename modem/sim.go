package modem

import (
	"context"
	"fmt"
	"strings"

	"mehfooz/modem/at"
	"mehfooz/modem/info"
	"mehfooz/modem/policy"
)

// simReady waits until the SIM is ready. It enters the PIN from the keystore
// at most once per boot of the handset, never a PUK, and polls while the SIM
// is absent or locked.
func (s *session) simReady(ctx context.Context) error {
	m := s.m
	for busy := 0; ; {
		state, err := s.readSIM(ctx)
		if err != nil {
			return err
		}
		if state != SIMUnknown {
			s.setSIM(state)
		}
		switch state {
		case SIMReady:
			return nil
		case SIMNotReady, SIMUnknown:
			busy++
			m.setPhase(PhaseSIMCheck, "SIM busy")
			if busy > 10 {
				m.setPhase(PhaseSIMCheck, "SIM not ready after 10 tries")
			}
		case SIMAbsent:
			m.setPhase(PhaseSIMCheck, "no SIM")
		case SIMPUK:
			m.setPhase(PhaseSIMCheck, "SIM blocked: PUK needed (a technician must unblock it)")
		case SIMLocked:
			m.setPhase(PhaseSIMCheck, "SIM or modem locked to another network")
		case SIMPIN:
			if ok, err := s.enterPIN(ctx); err != nil {
				return err
			} else if ok {
				continue
			}
		}
		if err := s.wait(ctx, m.t.SIMPoll); err != nil {
			return err
		}
	}
}

// readSIM asks +CPIN?; a +CME ERROR that names the SIM state counts as one.
// An answer that says nothing (a timeout, a bare ERROR) gives SIMUnknown.
func (s *session) readSIM(ctx context.Context) (SIMState, error) {
	r, err := s.cmd(ctx, "AT+CPIN?", "+CPIN")
	switch {
	case fatal(err):
		return "", err
	case at.IsCME(err, at.CMESIMNotInserted), at.IsCME(err, at.CMESIMFailure), at.IsCME(err, at.CMESIMWrong):
		return SIMAbsent, nil
	case at.IsCME(err, at.CMESIMBusy):
		return SIMNotReady, nil
	case at.IsCME(err, at.CMESIMPINRequired):
		return SIMPIN, nil
	case at.IsCME(err, at.CMESIMPUKRequired):
		return SIMPUK, nil
	case err != nil:
		return SIMUnknown, nil
	}
	l, ok := first(r, "+CPIN")
	if !ok {
		return SIMUnknown, nil
	}
	c, err := info.ParseCPIN(l)
	if err != nil {
		s.m.cfg.Log.Warn("modem: bad +CPIN", "err", err)
		return SIMUnknown, nil
	}
	return simState(c.State), nil
}

func simState(st info.SIMState) SIMState {
	switch st {
	case info.SIMReady:
		return SIMReady
	case info.SIMPIN:
		return SIMPIN
	case info.SIMPUK:
		return SIMPUK
	case info.SIMAbsent:
		return SIMAbsent
	case info.SIMLocked:
		return SIMLocked
	}
	return SIMNotReady
}

// setSIM records a SIM state; a change to a state the user must know about
// raises an alert.
func (s *session) setSIM(state SIMState) {
	m := s.m
	var prev SIMState
	m.update(func(st *Status) {
		prev = st.SIM
		st.SIM = state
		if state != SIMReady {
			st.ICCID, st.IMSI, st.Home = "", "", ""
		}
	})
	if prev == state {
		return
	}
	m.cfg.OnEvent(SIMChanged{State: state})
	switch state {
	case SIMAbsent:
		m.alert(Alert{Kind: AlertSIM, Severity: Warning, Title: "No SIM card"})
	case SIMPUK:
		m.alert(Alert{Kind: AlertSIM, Severity: Critical, Title: "SIM blocked: PUK needed", Evidence: []string{"+CPIN: SIM PUK"}})
	case SIMLocked:
		m.alert(Alert{Kind: AlertSIM, Severity: Warning, Title: "SIM or modem personalisation lock"})
	}
}

// enterPIN enters the SIM PIN from the keystore, once per boot. It reports
// whether it sent one (the caller then reads +CPIN again).
func (s *session) enterPIN(ctx context.Context) (bool, error) {
	m := s.m
	if m.pinTried {
		m.setPhase(PhaseSIMCheck, "SIM PIN needed; the stored PIN was already tried this boot")
		return false, nil
	}
	if m.cfg.PIN == nil {
		m.setPhase(PhaseSIMCheck, "SIM PIN needed and no PIN is provisioned")
		return false, nil
	}
	if left, ok := s.pinRetries(ctx); ok && left < 2 {
		// One wrong try would block the SIM: leave it to a technician.
		m.setPhase(PhaseSIMCheck, fmt.Sprintf("SIM PIN needed; only %d tries left, not trying", left))
		m.alert(Alert{Kind: AlertSIM, Severity: Critical, Title: "SIM PIN has one try left; not entered automatically"})
		return false, nil
	}
	iccid, _ := s.readICCID(ctx)
	pin, err := m.cfg.PIN.SIMPIN(ctx, iccid)
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		m.setPhase(PhaseSIMCheck, "SIM PIN needed; keystore: "+err.Error())
		return false, nil
	}
	m.pinTried = true
	_, err = s.exec(ctx, at.Cmd{Line: "AT+CPIN=", Secret: pin})
	clear(pin)
	if err != nil {
		if fatal(err) {
			return false, err
		}
		m.alert(Alert{Kind: AlertSIM, Severity: Critical, Title: "SIM refused the stored PIN", Evidence: []string{err.Error()}})
		m.setPhase(PhaseSIMCheck, "SIM refused the stored PIN")
		return false, nil
	}
	return true, nil
}

// pinRetries reads the PIN tries left (Quectel +QPINC), if the modem says.
func (s *session) pinRetries(ctx context.Context) (int, bool) {
	if !s.quectel {
		return 0, false
	}
	r, err := s.cmd(ctx, `AT+QPINC="SC"`, "+QPINC")
	if err != nil {
		return 0, false
	}
	l, ok := first(r, "+QPINC")
	if !ok {
		return 0, false
	}
	fs := strings.Split(l, ",")
	if len(fs) < 2 {
		return 0, false
	}
	var n int
	if _, err := fmt.Sscanf(strings.TrimSpace(fs[1]), "%d", &n); err != nil {
		return 0, false
	}
	return n, true
}

// readICCID tries the ICCID commands modems answer to.
func (s *session) readICCID(ctx context.Context) (string, error) {
	var last error
	for _, c := range []string{"AT+QCCID", "AT+CCID", "AT+ICCID"} {
		r, err := s.cmd(ctx, c, "")
		if fatal(err) {
			return "", err
		}
		if err != nil {
			last = err
			continue
		}
		for _, l := range r.Info {
			if id, err := info.ParseICCID(l); err == nil {
				return id, nil
			}
		}
	}
	return "", fmt.Errorf("no ICCID: %w", last)
}

// afterSIM reads the SIM's identity, picks the provisioning for its home
// network, refuses SMS, and sets up the radio and the data context before
// the modem attaches.
func (s *session) afterSIM(ctx context.Context) error {
	m := s.m
	iccid, err := s.readICCID(ctx)
	if fatal(err) {
		return err
	}
	r, err := s.cmd(ctx, "AT+CIMI", "")
	if fatal(err) {
		return err
	}
	var imsi string
	for _, l := range r.Info {
		if v, err := info.ParseIMSI(l); err == nil {
			imsi = v
		}
	}
	if len(imsi) >= 5 {
		s.home = imsi[:5] // Pakistani MNCs have two digits
		if imsi[:3] != policy.PakistanMCC && len(imsi) >= 6 {
			s.home = imsi[:6] // a 3-digit MNC elsewhere is likelier; either way it is unprovisioned
		}
	}
	swapped := iccid != "" && m.lastICCID != "" && iccid != m.lastICCID
	if iccid != "" {
		m.lastICCID = iccid
	}
	s.net, s.haveNet = m.cfg.Provision.For(s.home)
	op, _ := policy.Lookup(s.home)
	mi, mc := info.Mask(iccid, 4, 4), info.Mask(imsi, 5, 3)
	m.update(func(st *Status) {
		st.ICCID, st.IMSI, st.Home = mi, mc, s.home
		if s.haveNet {
			st.APN = s.net.APN
		} else {
			st.APN = ""
		}
	})
	m.cfg.OnEvent(SIMChanged{State: SIMReady, ICCID: mi, IMSI: mc, Swapped: swapped})
	if swapped {
		m.alert(Alert{Kind: AlertSIM, Severity: Warning, Title: "SIM card changed", Evidence: []string{"new ICCID " + mi}})
	}
	if !s.haveNet {
		m.alert(Alert{Kind: AlertNoData, Severity: Warning, Title: "No private APN provisioned for " + op.Name,
			Evidence: []string{"home PLMN " + s.home}})
	}
	if err := s.refuseSMS(ctx); err != nil {
		return err
	}
	return s.setupRadio(ctx)
}
