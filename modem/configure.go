package modem

import (
	"context"
	"slices"
	"strings"

	"mehfooz/modem/info"
)

// configure puts the modem in the state the rest of the session assumes.
// It is idempotent and, for settings stored in the modem's memory, reads
// before it writes, so a reboot loop cannot wear the flash out.
func (s *session) configure(ctx context.Context) error {
	m := s.m
	// Boot chatter (RDY, +CFUN: 1, +CPIN: READY) is no news here.
	for {
		if _, ok := s.eng.NextURC(); !ok {
			break
		}
	}
	// V.250 basics: no echo, verbose result codes, numeric +CME errors.
	for _, c := range []string{"ATE0", "ATV1", "AT+CMEE=1"} {
		if _, err := s.cmd(ctx, c, ""); err != nil {
			if fatal(err) {
				return err
			}
			return &end{kind: endHung, reason: c + " refused", err: err}
		}
	}
	s.identify(ctx)
	if s.quectel {
		if err := s.configureQuectel(ctx); err != nil {
			return err
		}
	}
	// PS mode 2: EPS only, no CS attach, so no circuit-switched voice or
	// SMS over SGs (TS 27.007 §10.1.28).
	if err := s.try(ctx, "AT+CEMODE=0"); err != nil {
		return err
	}
	// Registration reports with location (and the reject cause where the
	// modem offers it), packet domain events, and call reports that name
	// the call type so RING is never ambiguous.
	if _, err := s.cmd(ctx, "AT+CEREG=3", ""); err != nil {
		if fatal(err) {
			return err
		}
		if err := s.try(ctx, "AT+CEREG=2"); err != nil {
			return err
		}
	}
	for _, c := range []string{"AT+CGREG=2", "AT+CREG=2", "AT+CGEREP=2,1", "AT+CRC=1", "AT+CLIP=1", "AT+CTZR=0", "AT+COPS=3,2"} {
		if err := s.try(ctx, c); err != nil {
			return err
		}
	}
	m.cfg.Log.Info("modem: configured", "model", m.Status().Model, "quectel", s.quectel)
	return nil
}

// identify reads who made the modem, for the status and for vendor quirks.
func (s *session) identify(ctx context.Context) {
	get := func(line string) string {
		r, err := s.cmd(ctx, line, "")
		if err != nil || len(r.Info) == 0 {
			return ""
		}
		return strings.TrimSpace(strings.Join(r.Info, " "))
	}
	maker, model, rev := get("AT+CGMI"), get("AT+CGMM"), get("AT+CGMR")
	s.quectel = strings.Contains(strings.ToLower(maker), "quectel")
	s.m.update(func(st *Status) {
		st.Model = strings.TrimSpace(maker + " " + model)
		st.Revision = rev
	})
}

// configureQuectel applies the EC2x/EG25 settings: IMS (VoLTE) off, URCs not
// cached, the firmware resetting itself instead of dumping RAM on a crash.
// A changed IMS setting needs a reboot, which ends the session; the next
// one reads the setting back as wanted and goes on.
func (s *session) configureQuectel(ctx context.Context) error {
	for _, c := range []string{`AT+QCFG="urc/cache",0`, `AT+QCFG="ApRstLevel",1`, `AT+QCFG="ModemRstLevel",1`, `AT+QCFG="servicedomain",1,1`} {
		if err := s.try(ctx, c); err != nil {
			return err
		}
	}
	r, err := s.cmd(ctx, `AT+QCFG="ims"`, "+QCFG")
	if err != nil {
		if fatal(err) {
			return err
		}
		return nil // firmware without the setting has no IMS to turn off
	}
	if l, ok := first(r, "+QCFG"); ok {
		if fs := strings.Split(l, ","); len(fs) >= 2 && strings.TrimSpace(fs[1]) == "2" {
			return nil
		}
	}
	if _, err := s.cmd(ctx, `AT+QCFG="ims",2`, ""); err != nil {
		if fatal(err) {
			return err
		}
		return nil
	}
	s.m.cfg.Log.Info("modem: IMS turned off; rebooting the modem to apply it")
	if _, err := s.cmd(ctx, "AT+CFUN=1,1", ""); err != nil && fatal(err) {
		return err
	}
	return &end{kind: endAsked, reason: "ims-off"}
}

// lockRAT forbids the radio technologies the policy does not allow; GSM is
// never allowed. The standard +WS46 comes first (TS 27.007 §5.9: 28 is
// E-UTRAN only, 31 UTRAN and E-UTRAN), then Quectel's nwscanmode. Each is
// read before it is written: writing makes the modem search afresh, which
// would drop a working attach. A modem with neither is left as it is: the
// baseband watch alerts on any 2G registration and no data runs over it.
func (s *session) lockRAT(ctx context.Context) error {
	rats := s.m.cfg.Provision.AllowedRATs(s.net)
	want, mode := "28", "3" // LTE only
	if slices.Contains(rats, "UMTS") {
		want, mode = "31", "0"
	}
	r, err := s.cmd(ctx, "AT+WS46=?", "+WS46")
	if err == nil {
		if l, ok := first(r, "+WS46"); ok && strings.Contains(l, want) {
			return s.setIfDifferent(ctx, "AT+WS46?", "+WS46", want, "AT+WS46="+want)
		}
	} else if fatal(err) {
		return err
	}
	if s.quectel {
		if mode == "0" { // auto would include GSM: scan LTE then UMTS only
			if err := s.try(ctx, `AT+QCFG="nwscanseq",0403,1`); err != nil {
				return err
			}
		}
		return s.setIfDifferent(ctx, `AT+QCFG="nwscanmode"`, "+QCFG", mode, `AT+QCFG="nwscanmode",`+mode+",1")
	}
	s.m.cfg.Log.Warn("modem: cannot lock out 2G on this modem; relying on the baseband watch")
	return nil
}

// setIfDifferent reads a setting and writes it only if its last field is
// not want already.
func (s *session) setIfDifferent(ctx context.Context, read, prefix, want, write string) error {
	r, err := s.cmd(ctx, read, prefix)
	if fatal(err) {
		return err
	}
	if err == nil {
		if l, ok := first(r, prefix); ok {
			fs := strings.Split(l, ",")
			last := strings.TrimSpace(fs[len(fs)-1])
			if i := strings.IndexByte(last, ':'); i >= 0 {
				last = strings.TrimSpace(last[i+1:])
			}
			if last == want {
				return nil
			}
		}
	}
	return s.try(ctx, write)
}

// regQueries are the registration reads, EPS first.
func (s *session) regQueries() []string {
	q := []string{"+CEREG"}
	if slices.Contains(s.m.cfg.Provision.AllowedRATs(s.net), "UMTS") {
		q = append(q, "+CGREG")
	}
	return q
}

// regFromLine parses a registration line, logging a malformed one.
func (s *session) regFromLine(line string) (info.Reg, bool) {
	r, err := info.ParseReg(line)
	if err != nil {
		s.m.cfg.Log.Warn("modem: bad registration report", "err", err)
		return info.Reg{}, false
	}
	return r, true
}
