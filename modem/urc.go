package modem

import (
	"context"
	"fmt"
	"strings"
	"time"

	"mehfooz/modem/at"
	"mehfooz/modem/info"
)

// drainURCs handles every queued URC, oldest first.
func (s *session) drainURCs(ctx context.Context) error {
	for {
		u, ok := s.eng.NextURC()
		if !ok {
			return nil
		}
		if err := s.urc(ctx, u); err != nil {
			return err
		}
	}
}

// wait sleeps for d while still handling URCs (and returns early after
// some, so a SIM wait notices a hot-plugged SIM at once).
func (s *session) wait(ctx context.Context, d time.Duration) error {
	t := s.m.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.eng.Done():
		return &end{kind: endLost, reason: "port closed", err: s.eng.Err()}
	case <-s.eng.Notify():
		return s.drainURCs(ctx)
	case <-t.C():
		return nil
	}
}

func (s *session) urc(ctx context.Context, u at.URC) error {
	m := s.m
	if u.Storm != nil {
		m.alert(Alert{Kind: AlertURCStorm, Severity: Warning, Title: "Modem is flooding the phone with reports",
			Evidence: []string{fmt.Sprintf("dropped=%d rate=%d/s", u.Storm.Dropped, u.Storm.Rate)}})
		return nil
	}
	switch u.Name {
	case "+CREG", "+CGREG", "+CEREG", "+C5GREG":
		if r, ok := s.regFromLine(u.Line); ok {
			return s.onReg(ctx, r, u.Merged)
		}
	case "+CGEV":
		e, err := info.ParseCGEV(u.Line)
		if err != nil {
			m.cfg.Log.Warn("modem: bad +CGEV", "err", err)
			return nil
		}
		// Only a deactivation of our context while it is up matters; one
		// queued before it came up (our own AT+CFUN=4 during set-up) is
		// old news.
		if s.dataUp && e.Deactivation() && (e.CID == s.dataCID || e.CID < 0) && !u.At.Before(s.dataSince) {
			s.dataDown(strings.ToLower(e.Event))
			s.dataNext = m.cfg.Clock.Now().Add(s.dataWait.wait())
		}
	case "RING", "+CRING", "+CLIP", "+CCWA":
		return s.refuseCall(ctx, u)
	case "+CMT":
		return s.refuseSMSDeliver(ctx, u)
	case "+CMTI", "+CDSI", "+CDS":
		// Stored anyway (a modem that ignores +CNMI, or a status report):
		// empty the stores.
		if u.Name == "+CDS" {
			if err := s.try(ctx, "AT+CNMA"); err != nil {
				return err
			}
		}
		m.cfg.Log.Info("modem: stored message purged", "urc", u.Name)
		return s.purgeSMS(ctx)
	case "RDY", "POWERED DOWN":
		return &end{kind: endReset, reason: strings.ToLower(u.Name), err: fmt.Errorf("modem said %s", u.Line)}
	case "+CPIN":
		if !s.configured {
			return nil
		}
		c, err := info.ParseCPIN(u.Line)
		if err != nil || c.State != info.SIMReady {
			s.setSIM(SIMAbsent)
			return &end{kind: endSIM, reason: "sim removed", err: fmt.Errorf("%s", u.Line)}
		}
		// READY again while running: a new SIM or a SIM reset. Re-read it.
		return &end{kind: endSIM, reason: "sim re-initialised", err: fmt.Errorf("%s", u.Line)}
	case "+QSIMSTAT":
		if fs := strings.Split(u.Line, ","); len(fs) == 2 && strings.TrimSpace(fs[1]) == "0" {
			s.setSIM(SIMAbsent)
			return &end{kind: endSIM, reason: "sim removed", err: fmt.Errorf("%s", u.Line)}
		}
	case "+CSQ":
		if sig, err := info.ParseCSQ(u.Line); err == nil {
			s.setSignal(sig)
		}
	case "+CESQ":
		if sig, err := info.ParseCESQ(u.Line); err == nil {
			s.setSignal(sig)
		}
	default:
		m.cfg.Log.Debug("modem: URC", "line", u.Line)
	}
	return nil
}

// onReg applies a registration report: the watch first, then the state.
func (s *session) onReg(ctx context.Context, r info.Reg, merged int) error {
	m, now := s.m, s.m.cfg.Clock.Now()
	for _, a := range m.watch.registration(now, r, merged) {
		m.alert(a)
	}
	if r.Cmd == "+CREG" || r.Cmd == "+C5GREG" {
		return nil // circuit-switched and 5G reports are evidence only
	}
	if r.Cmd == "+CGREG" && !s.umts() && !(r.AcT.Is2G() && r.Stat.Registered()) {
		return nil
	}
	prev := s.reg
	if r.Cmd == "+CGREG" && s.reg.Cmd == "+CEREG" && s.reg.Stat.Registered() && !r.Stat.Registered() {
		return nil // EPS registration stands
	}
	s.reg = r
	if r.AcT != info.AcTNone {
		s.act = r.AcT
	}
	if prev.Stat != r.Stat || prev.Area != r.Area || prev.Cell != r.Cell || prev.AcT != r.AcT || prev.Cmd != r.Cmd {
		m.update(func(st *Status) {
			if rat := r.AcT.RAT(); rat != "" {
				st.RAT = rat
			}
			if !r.Stat.Registered() {
				st.PLMN, st.Operator = "", ""
			}
		})
		m.cfg.OnEvent(RegistrationChanged{Stat: r.Stat, PLMN: s.serving, AcT: r.AcT, Area: r.Area, Cell: r.Cell})
	}
	if r.Stat.Registered() && !prev.Stat.Registered() {
		// Which network (the policy needs it before data), and how strong.
		if err := s.readCOPS(ctx); err != nil {
			return err
		}
		return s.readSignal(ctx)
	}
	if !r.Stat.Registered() {
		s.serving = ""
	}
	return nil
}

func (s *session) umts() bool {
	for _, r := range s.m.cfg.Provision.AllowedRATs(s.net) {
		if r == "UMTS" {
			return true
		}
	}
	return false
}

// refuseCall hangs up any offered call: the handset's calls run over its
// own encrypted channel, never the operator's voice service. One alert per
// call, not per RING.
func (s *session) refuseCall(ctx context.Context, u at.URC) error {
	m, now := s.m, s.m.cfg.Clock.Now()
	if _, err := s.cmd(ctx, "AT+CHUP", ""); err != nil {
		if fatal(err) {
			return err
		}
		if err := s.try(ctx, "ATH"); err != nil {
			return err
		}
	}
	if now.Sub(s.lastCall) > 30*time.Second {
		m.alert(Alert{Kind: AlertIncomingCall, Severity: Warning, Title: "Incoming cellular call refused", Evidence: []string{u.Line}})
	}
	s.lastCall = now
	return nil
}

// refuseSMSDeliver acknowledges a +CMT (so the network does not resend it),
// inspects its header for the kinds that are attacks or tracking, and drops
// it. The text is never read.
func (s *session) refuseSMSDeliver(ctx context.Context, u at.URC) error {
	m, now := s.m, s.m.cfg.Clock.Now()
	if _, err := s.cmd(ctx, "AT+CNMA", ""); err != nil && fatal(err) {
		return err
	}
	h, err := info.ParseCMT(u.Line)
	length := h.Length
	if err != nil {
		length = 0
	}
	d, err := info.DecodeDeliver(u.PDU, length)
	if err != nil {
		m.alert(Alert{Kind: AlertSMS, Severity: Warning, Title: "Malformed SMS received and dropped", Evidence: []string{err.Error()}})
		return nil
	}
	if a, ok := m.watch.sms(now, d); ok {
		m.alert(a)
	} else {
		m.cfg.Log.Info("modem: SMS refused", "pid", d.PID, "dcs", d.DCS.Raw)
	}
	return nil
}
