package modem

import (
	"context"

	"mehfooz/modem/info"
	"mehfooz/modem/policy"
)

// poll reads the state the URCs should have told us about: URCs can be lost
// (a full queue, a modem that sends them on another port), so every poll
// corrects the picture.
func (s *session) poll(ctx context.Context) error {
	m := s.m
	state, err := s.readSIM(ctx)
	if err != nil {
		return err
	}
	if state != SIMReady && state != SIMUnknown {
		s.setSIM(state)
		return &end{kind: endSIM, reason: "sim " + string(state), err: nil}
	}
	if !s.haveNet {
		return nil // radio off
	}
	for _, q := range s.regQueries() {
		r, err := s.cmd(ctx, "AT"+q+"?", q)
		if fatal(err) {
			return err
		}
		if err != nil {
			continue
		}
		for _, l := range r.Info {
			if reg, ok := s.regFromLine(l); ok {
				if err := s.onReg(ctx, reg, 0); err != nil {
					return err
				}
			}
		}
	}
	if s.reg.Stat.Registered() {
		if err := s.readCOPS(ctx); err != nil {
			return err
		}
	}
	if err := s.readSignal(ctx); err != nil {
		return err
	}
	if s.dataUp {
		if err := s.checkData(ctx); err != nil {
			return err
		}
	}
	if m.cfg.Clock.Since(s.lastPurge) >= m.t.Purge {
		return s.purgeSMS(ctx)
	}
	return nil
}

// readCOPS learns the serving network and its access technology and checks
// them against the SIM's policy.
func (s *session) readCOPS(ctx context.Context) error {
	m := s.m
	r, err := s.cmd(ctx, "AT+COPS?", "+COPS")
	if err != nil {
		if fatal(err) {
			return err
		}
		return nil
	}
	l, ok := first(r, "+COPS")
	if !ok {
		return nil
	}
	c, err := info.ParseCOPS(l)
	if err != nil {
		m.cfg.Log.Warn("modem: bad +COPS", "err", err)
		return nil
	}
	p, err := c.PLMN()
	if err != nil {
		return nil // not registered, or not in numeric format
	}
	s.serving = p.String()
	if c.AcT != info.AcTNone {
		s.act = c.AcT
	}
	allowed := s.serving == s.home || s.haveNet && s.net.Allows(s.serving)
	for _, a := range m.watch.serving(m.cfg.Clock.Now(), s.serving, c.AcT, allowed) {
		m.alert(a)
	}
	op, _ := policy.Lookup(s.serving)
	m.update(func(st *Status) {
		st.PLMN, st.Operator = s.serving, op.Name
		if rat := s.act.RAT(); rat != "" {
			st.RAT = rat
		}
	})
	return nil
}

// readSignal reads +CESQ (RSRP on LTE), falling back to +CSQ.
func (s *session) readSignal(ctx context.Context) error {
	r, err := s.cmd(ctx, "AT+CESQ", "+CESQ")
	if err == nil {
		if l, ok := first(r, "+CESQ"); ok {
			if sig, err := info.ParseCESQ(l); err == nil && sig.Bars() > 0 {
				s.setSignal(sig)
				return nil
			}
		}
	} else if fatal(err) {
		return err
	}
	r, err = s.cmd(ctx, "AT+CSQ", "+CSQ")
	if err != nil {
		if fatal(err) {
			return err
		}
		return nil
	}
	if l, ok := first(r, "+CSQ"); ok {
		if sig, err := info.ParseCSQ(l); err == nil {
			s.setSignal(sig)
		}
	}
	return nil
}

func (s *session) setSignal(sig info.Signal) {
	dbm := sig.RSRP
	if dbm == 0 {
		dbm = sig.RSSI
	}
	s.m.update(func(st *Status) { st.Bars, st.SignaldBm = sig.Bars(), dbm })
}

// checkData confirms the context is still active; the network can drop it
// without a +CGEV we hear.
func (s *session) checkData(ctx context.Context) error {
	r, err := s.cmd(ctx, "AT+CGACT?", "+CGACT")
	if err != nil {
		if fatal(err) {
			return err
		}
		return nil
	}
	for _, l := range r.Info {
		if cid, on, err := info.ParseCGACT(l); err == nil && cid == s.dataCID && !on {
			s.dataDown("context found inactive")
		}
	}
	return nil
}
