package modem

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"mehfooz/modem/at"
	"mehfooz/modem/info"
	"mehfooz/modem/policy"
)

// session is one open port: from the first AT to the hang-up, hang or reset
// that ends it. It runs on Run's goroutine.
type session struct {
	m   *Modem
	eng *at.Engine

	quectel    bool
	configured bool // configuration done: echo or RDY now means a reset
	served     bool // reached registration

	home    string // the SIM's home PLMN
	net     policy.Network
	haveNet bool

	reg       info.Reg // the latest packet-domain registration (EPS, else PS)
	serving   string   // serving PLMN from +COPS
	act       info.AcT
	dataUp    bool
	dataSince time.Time // when the context last came up
	dataCID   int
	regSince  time.Time // when registration was lost (zero while registered)

	regWait   backoff
	regNext   time.Time // when to re-trigger network selection
	dataWait  backoff
	dataNext  time.Time // when to try the data context again
	lastPurge time.Time
	lastCall  time.Time // last incoming-call alert, to raise one per call
}

func (m *Modem) session(ctx context.Context) error {
	m.setPhase(PhaseBooting, "opening the modem port")
	port, err := m.cfg.Open(ctx)
	if err != nil {
		return &end{kind: endOpen, reason: "open", err: err}
	}
	if m.cfg.Trace {
		port = traced(port, m.cfg.Log)
	}
	eng := at.New(port, at.Config{Clock: m.cfg.Clock, Log: m.cfg.Log, Drain: m.t.Drain, ProbeTimeout: m.t.Probe})
	defer eng.Close()
	s := &session{
		m: m, eng: eng, dataCID: 1, act: info.AcTNone,
		regWait:  backoff{base: m.t.RegRetry, max: m.t.RegMax},
		dataWait: backoff{base: m.t.DataRetry, max: m.t.DataMax},
	}
	err = s.run(ctx)
	if s.dataUp {
		m.update(func(st *Status) { st.IP = "" })
		m.cfg.OnEvent(DataChanged{Up: false, APN: s.net.APN, Reason: "session ended"})
	}
	var e *end
	if errors.As(err, &e) {
		e.served = s.served
	}
	return err
}

func (s *session) run(ctx context.Context) error {
	m := s.m
	m.setPhase(PhaseBooting, "waiting for the modem to answer AT")
	if err := s.boot(ctx); err != nil {
		return err
	}
	m.setPhase(PhaseConfiguring, "")
	if err := s.configure(ctx); err != nil {
		return err
	}
	if err := s.simReady(ctx); err != nil {
		return err
	}
	if err := s.afterSIM(ctx); err != nil {
		return err
	}
	s.configured = true
	m.setPhase(PhaseSearching, "waiting for LTE registration")
	return s.steady(ctx)
}

// boot probes with AT until the modem answers or Timing.Boot passes. A modem
// that just powered up answers nothing, then noise, then OK.
func (s *session) boot(ctx context.Context) error {
	deadline := s.m.cfg.Clock.Now().Add(s.m.t.Boot)
	for {
		_, err := s.cmd(ctx, "AT", "")
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var e *end
		if errors.As(err, &e) && e.kind == endLost {
			return err
		}
		if !s.m.cfg.Clock.Now().Before(deadline) {
			return &end{kind: endHung, reason: "no answer to AT", err: err}
		}
	}
}

// cmd runs one command and turns engine failures that end the session into
// *end errors. Modem errors (+CME ERROR, ERROR) and single timeouts come
// back as they are, for the caller to judge.
func (s *session) cmd(ctx context.Context, line, prefix string) (at.Resp, error) {
	return s.exec(ctx, at.Cmd{Line: line, Prefix: prefix})
}

func (s *session) exec(ctx context.Context, c at.Cmd) (at.Resp, error) {
	if t := s.m.t.Command; t > 0 {
		c.Timeout = min(t, at.DefaultTimeout(c.Line))
	}
	r, err := s.eng.Exec(ctx, c)
	if ctx.Err() != nil {
		return r, ctx.Err()
	}
	if r.Echo && s.configured {
		return r, &end{kind: endReset, reason: "echo", err: errors.New("echo is back on: the modem lost its configuration")}
	}
	switch {
	case err == nil:
		return r, nil
	case errors.Is(err, at.ErrClosed):
		return r, &end{kind: endLost, reason: "port closed", err: err}
	case errors.Is(err, at.ErrReset):
		return r, &end{kind: endReset, reason: "rdy", err: err}
	case errors.Is(err, at.ErrNoSync):
		return r, &end{kind: endHung, reason: "no resync", err: err}
	case errors.Is(err, at.ErrTimeout) && s.eng.Stats().ConsecutiveTimeouts >= 3:
		return r, &end{kind: endHung, reason: "timeouts", err: err}
	}
	return r, err
}

// fatal reports whether err ends the session.
func fatal(err error) bool {
	var e *end
	return errors.As(err, &e) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// try runs a command whose failure does not matter (an optional setting),
// logging it; only session-ending errors come back.
func (s *session) try(ctx context.Context, line string) error {
	_, err := s.cmd(ctx, line, "")
	if err != nil && !fatal(err) {
		s.m.cfg.Log.Debug("modem: optional command failed", "cmd", line, "err", err)
		return nil
	}
	return err
}

// first returns the first info line with the prefix.
func first(r at.Resp, prefix string) (string, bool) {
	for _, l := range r.Info {
		if strings.HasPrefix(strings.ToUpper(l), prefix) {
			return l, true
		}
	}
	return "", false
}

// steady is the running modem: URCs as they come, polling as the safety net
// against lost URCs, and the registration and data retries.
func (s *session) steady(ctx context.Context) error {
	clk := s.m.cfg.Clock
	poll := clk.NewTicker(s.m.t.Poll)
	defer poll.Stop()
	wake := clk.NewTimer(time.Hour)
	defer wake.Stop()
	if err := s.poll(ctx); err != nil {
		return err
	}
	for {
		if err := s.advance(ctx); err != nil {
			return err
		}
		if next := s.nextWake(); !next.IsZero() {
			wake.Reset(max(next.Sub(clk.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.eng.Done():
			return &end{kind: endLost, reason: "port closed", err: s.eng.Err()}
		case <-s.eng.Notify():
			if err := s.drainURCs(ctx); err != nil {
				return err
			}
		case <-poll.C():
			if err := s.poll(ctx); err != nil {
				return err
			}
		case <-wake.C():
		}
	}
}

// nextWake is the earliest retry deadline, or zero.
func (s *session) nextWake() time.Time {
	var t time.Time
	for _, d := range []time.Time{s.regNext, s.dataNext} {
		if !d.IsZero() && (t.IsZero() || d.Before(t)) {
			t = d
		}
	}
	return t
}

// advance moves registration and data forward as far as the state allows.
func (s *session) advance(ctx context.Context) error {
	m, now := s.m, s.m.cfg.Clock.Now()
	if !s.haveNet {
		m.setPhase(PhaseSearching, "radio off: no private APN provisioned for "+s.home)
		return nil
	}
	if !s.reg.Stat.Registered() {
		if s.dataUp {
			s.dataDown("registration lost")
		}
		if s.regSince.IsZero() {
			s.regSince = now
			s.regNext = now.Add(s.regWait.wait())
		}
		if !s.regNext.IsZero() && !now.Before(s.regNext) {
			// Re-trigger automatic network selection: gentler on the
			// network than toggling CFUN, which can get a handset barred.
			if err := s.try(ctx, "AT+COPS=0"); err != nil {
				return err
			}
			s.regNext = m.cfg.Clock.Now().Add(s.regWait.wait())
		}
		m.setPhase(PhaseSearching, s.searchDetail())
		return nil
	}
	s.regSince, s.regNext = time.Time{}, time.Time{}
	s.regWait.reset()
	s.served = true
	m.ladder.ok()
	if !s.dataAllowed() {
		if s.dataUp { // fail closed: no data on a network or RAT the policy refuses
			return s.deactivate(ctx, "refused by policy")
		}
		return nil
	}
	if s.dataUp {
		m.setPhase(PhaseDataUp, "")
		return nil
	}
	m.setPhase(PhaseRegistered, "activating the private APN")
	if !s.dataNext.IsZero() && now.Before(s.dataNext) {
		return nil
	}
	if err := s.activate(ctx); err != nil {
		if fatal(err) {
			return err
		}
		wait := s.dataWait.wait()
		s.dataNext = m.cfg.Clock.Now().Add(wait)
		m.setPhase(PhaseRegistered, fmt.Sprintf("data context failed (%v); retry in %v", err, wait))
		return nil
	}
	s.dataNext = time.Time{}
	s.dataWait.reset()
	m.setPhase(PhaseDataUp, "")
	return nil
}

func (s *session) searchDetail() string {
	switch {
	case s.reg.Stat == info.RegDenied:
		return fmt.Sprintf("registration denied (cause %d)", s.reg.RejectCause)
	case s.reg.Stat == info.RegRoaming || s.reg.Stat == info.RegHome:
		return "registered"
	}
	return "waiting for LTE registration"
}

// dataAllowed says whether policy lets data run now, and says why not in the
// status detail.
func (s *session) dataAllowed() bool {
	m := s.m
	switch {
	case !s.haveNet:
		m.setPhase(PhaseRegistered, "no private APN provisioned for "+s.home+": no data")
		return false
	case s.act.Is2G():
		m.setPhase(PhaseRegistered, "on 2G: data refused")
		return false
	case s.serving == "":
		// Fail closed: no data before we know which network this is.
		m.setPhase(PhaseRegistered, "waiting for the network's identity (+COPS)")
		return false
	case !s.net.Allows(s.serving):
		m.setPhase(PhaseRegistered, "network "+s.serving+" not allowed for this SIM: no data")
		return false
	}
	return true
}
