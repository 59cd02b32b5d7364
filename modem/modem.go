package modem

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"mehfooz/modem/at"
)

// Modem runs one cellular modem. Create it with New and drive it with Run.
type Modem struct {
	cfg Config
	t   Timing

	mu      sync.Mutex // guards st and seq
	st      Status
	seq     int
	runMu   sync.Mutex // one Run at a time
	ladder  *ladder
	watch   *watch
	noPower bool // the board reported it has no power control
	// openFailSince is when the port started failing to open; zero while
	// it opens.
	openFailSince time.Time

	// Kept across sessions within one boot of the handset.
	pinTried  bool   // the PIN was entered once this boot
	lastICCID string // the SIM seen before, to notice a swap
}

// New checks cfg and returns a Modem in phase Off.
func New(cfg Config) (*Modem, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	m := &Modem{cfg: cfg, t: cfg.Timing, ladder: newLadder(cfg.Timing), watch: newWatch()}
	m.st = Status{Phase: PhaseOff, Since: cfg.Clock.Now()}
	return m, nil
}

// Status returns the current state; it is cheap and safe from any goroutine.
func (m *Modem) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.st.clone()
}

// Run drives the modem until ctx is cancelled: it opens the port, runs a
// session until the modem is lost, hangs or resets, climbs the recovery
// ladder, and starts again. It returns nil once ctx is done, with every
// goroutine it started stopped.
func (m *Modem) Run(ctx context.Context) error {
	if !m.runMu.TryLock() {
		return errors.New("modem: Run is already running")
	}
	defer m.runMu.Unlock()
	defer m.setPhase(PhaseOff, "stopped")
	for {
		err := m.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err := m.recover(ctx, err); err != nil {
			return nil // only ctx ends recovery
		}
	}
}

// end is why a session ended.
type end struct {
	kind   endKind
	reason string
	err    error
	served bool // the session reached service before it ended
}

type endKind int

const (
	endOpen  endKind = iota // the port would not open
	endLost                 // the port failed: hang-up, USB loss
	endHung                 // the modem stopped answering
	endReset                // the modem rebooted on its own (RDY, echo)
	endAsked                // we reset it (a setting that needs a reboot)
	endSIM                  // the SIM went away or changed: check it afresh
)

func (e *end) Error() string {
	return fmt.Sprintf("modem session ended (%s): %v", e.reason, e.err)
}

func (e *end) Unwrap() error { return e.err }

// recover handles the end of a session: it counts resets, climbs the ladder
// for failures, and waits before the next session.
func (m *Modem) recover(ctx context.Context, err error) error {
	var e *end
	if !errors.As(err, &e) {
		e = &end{kind: endHung, reason: "error", err: err}
	}
	now := m.cfg.Clock.Now()
	if e.served {
		m.ladder.ok()
	}
	switch e.kind {
	case endSIM:
		m.setPhase(PhaseSIMCheck, e.reason)
		return ctx.Err()
	case endReset, endAsked:
		m.resetSeen(now, e.reason, e.kind == endReset)
		m.setPhase(PhaseRecovering, "modem rebooted ("+e.reason+"); reconfiguring")
		return m.sleep(ctx, m.t.ResetSettle)
	}
	if e.kind != endOpen {
		m.openFailSince = time.Time{}
	} else if m.openFailSince.IsZero() {
		m.openFailSince = now
	}
	if e.kind == endOpen && now.Sub(m.openFailSince) < m.t.Boot {
		// A USB modem re-enumerating after a crash is gone for a few
		// seconds: wait for its device before resetting anything.
		m.setPhase(PhaseRecovering, "waiting for the modem device: "+e.err.Error())
		return m.sleep(ctx, m.t.Reopen)
	}
	s, wait, exhausted := m.ladder.fail(now, m.noPower)
	if e.kind == endLost {
		m.resetSeen(now, "hang-up", true)
	}
	m.cfg.Log.Warn("modem: session ended", "reason", e.reason, "err", e.err, "step", s, "wait", wait)
	if exhausted {
		m.alert(Alert{Kind: AlertModemDead, Severity: Critical, Title: "Modem keeps failing; recovery paused",
			Evidence: []string{fmt.Sprintf("%d hard resets in the last hour", m.t.HardResets), "last: " + e.reason}, At: now})
	}
	m.setPhase(PhaseRecovering, fmt.Sprintf("%s; next: %s in %v", e.reason, s, wait))
	var perr error
	switch s {
	case stepResetLine:
		if perr = m.cfg.Power.Reset(ctx); perr == nil {
			m.resetSeen(now, "reset-line", false)
		}
	case stepPowerCycle:
		if perr = m.cfg.Power.Cycle(ctx); perr == nil {
			m.resetSeen(now, "power-cycle", false)
		}
	}
	if errors.Is(perr, errors.ErrUnsupported) {
		m.noPower = true // this board cannot; the AT reset is the top rung
		s = stepSoftReset
	} else if perr != nil {
		m.cfg.Log.Warn("modem: power control", "step", s, "err", perr)
	}
	if s == stepSoftReset && m.softReset(ctx) {
		m.resetSeen(now, "cfun", false)
	}
	return m.sleep(ctx, wait)
}

// softReset sends AT+CFUN=1,1 over a fresh port, for a modem whose AT
// channel still half works. It reports whether the modem accepted it.
func (m *Modem) softReset(ctx context.Context) bool {
	port, err := m.cfg.Open(ctx)
	if err != nil {
		return false
	}
	eng := at.New(port, at.Config{Clock: m.cfg.Clock, Log: m.cfg.Log, Drain: m.t.Drain, ProbeTimeout: m.t.Probe})
	defer eng.Close()
	timeout := at.DefaultTimeout("AT+CFUN=1,1")
	if m.t.Command > 0 {
		timeout = min(timeout, m.t.Command)
	}
	_, err = eng.Exec(ctx, at.Cmd{Line: "AT+CFUN=1,1", Timeout: timeout})
	return err == nil
}

// resetSeen counts a modem reset and raises the repeated-reset alert.
func (m *Modem) resetSeen(now time.Time, reason string, unexpected bool) {
	n, alerts := m.watch.reset(now, reason, unexpected)
	m.mu.Lock()
	m.st.Resets = n
	m.mu.Unlock()
	m.cfg.OnEvent(ModemReset{Reason: reason, Count: n})
	for _, a := range alerts {
		m.alert(a)
	}
}

func (m *Modem) sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := m.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// setPhase moves the state machine and reports it.
func (m *Modem) setPhase(p Phase, detail string) {
	m.mu.Lock()
	from := m.st.Phase
	changed := from != p || m.st.Detail != detail
	if from != p {
		m.st.Since = m.cfg.Clock.Now()
	}
	m.st.Phase, m.st.Detail = p, detail
	if p == PhaseOff || p == PhaseRecovering || p == PhaseBooting {
		m.st.APN, m.st.IP = "", ""
	}
	m.mu.Unlock()
	if changed {
		m.cfg.Log.Info("modem: phase", "phase", p, "detail", detail)
		m.cfg.OnEvent(PhaseChanged{From: from, To: p, Detail: detail})
	}
}

// update changes the status under the lock.
func (m *Modem) update(f func(*Status)) {
	m.mu.Lock()
	f(&m.st)
	m.mu.Unlock()
}

// alert records an alert in the status and reports it.
func (m *Modem) alert(a Alert) {
	if a.At.IsZero() {
		a.At = m.cfg.Clock.Now()
	}
	m.mu.Lock()
	m.seq++
	a.ID = fmt.Sprintf("%s-%d", a.Kind, m.seq)
	m.st.Alerts = append(m.st.Alerts, a)
	if len(m.st.Alerts) > maxAlerts {
		m.st.Alerts = m.st.Alerts[len(m.st.Alerts)-maxAlerts:]
	}
	m.mu.Unlock()
	m.cfg.Log.Warn("modem: alert", "kind", a.Kind, "severity", a.Severity, "title", a.Title, "evidence", a.Evidence)
	m.cfg.OnEvent(a)
}
