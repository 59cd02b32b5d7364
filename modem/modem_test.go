package modem

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mehfooz/modem/sim"
)

func withCard(c sim.Card) rigOpt {
	return func(s *sim.Config, _ *Config) { s.Card = &c }
}

func withProfile(p *sim.Profile) rigOpt {
	return func(s *sim.Config, _ *Config) { s.Profile = p }
}

func withCells(cells ...sim.Cell) rigOpt {
	return func(s *sim.Config, _ *Config) { s.Cells = cells }
}

// The whole bring-up on a Quectel EG25-G: IMS switched off (a reboot),
// context 1 on the private APN before attach, the IMS context deleted, LTE
// locked, SMS routed to us, data up on the private APN.
func TestBringUpEG25(t *testing.T) {
	r := newRig(t)
	st := r.waitPhase(PhaseDataUp)
	if st.SIM != SIMReady || st.PLMN != "41001" || st.Operator != "Jazz" || st.RAT != "LTE" ||
		st.APN != "gov.secure.jazz" || st.IP == "" || st.Model != "Quectel EG25" || st.Bars == 0 {
		t.Errorf("status %+v", st)
	}
	if st.ICCID == "" || strings.Count(st.ICCID, "*") < 10 || !strings.HasPrefix(st.IMSI, "41001*") {
		t.Errorf("identities not masked: %q %q", st.ICCID, st.IMSI)
	}
	ss := r.sim.Status()
	if len(ss.Contexts) != 1 || ss.Contexts[0].CID != 1 || ss.Contexts[0].APN != "gov.secure.jazz" || !ss.Contexts[0].Active {
		t.Errorf("contexts %+v: want only cid 1 on the private APN", ss.Contexts)
	}
	if !strings.Contains(ss.RATLock, "nwscanmode=3") {
		t.Errorf("RAT lock %q: want LTE only", ss.RATLock)
	}
	if ss.CNMI != [5]int{2, 2, 0, 0, 0} || ss.Echo || ss.CMEE != 1 {
		t.Errorf("settings: cnmi %v echo %v cmee %d", ss.CNMI, ss.Echo, ss.CMEE)
	}
	// The context was set while the radio was off: no +CGDCONT=1 write
	// happens after the first AT+CFUN=1 of the session that attached.
	var data []DataChanged
	for _, e := range r.eventList() {
		if d, ok := e.(DataChanged); ok {
			data = append(data, d)
		}
	}
	if len(data) == 0 || !data[len(data)-1].Up || data[len(data)-1].APN != "gov.secure.jazz" {
		t.Errorf("data events %+v", data)
	}
}

// The plain 27.007 profile locks the RAT with +WS46=28.
func TestBringUpGeneric(t *testing.T) {
	r := newRig(t, withProfile(&sim.Generic))
	st := r.waitPhase(PhaseDataUp)
	if st.Model != "Mehfooz SIM27007" {
		t.Errorf("model %q", st.Model)
	}
	if ss := r.sim.Status(); !strings.Contains(ss.RATLock, "ws46=28") {
		t.Errorf("RAT lock %q: want ws46=28", ss.RATLock)
	}
}

// A SIM of a network with no provisioning gets no data, and no attach at
// all: the radio stays off rather than attaching to the public default PDN.
func TestUnprovisionedOperator(t *testing.T) {
	r := newRig(t, withCard(sim.NewCard("41005", 7)))
	r.waitAlert(AlertNoData)
	st := r.waitFor("radio off", func(st Status) bool { return strings.Contains(st.Detail, "no private APN") })
	if st.Phase == PhaseDataUp || st.IP != "" || st.APN != "" {
		t.Errorf("status %+v", st)
	}
	time.Sleep(100 * time.Millisecond)
	if ss := r.sim.Status(); ss.Fun != 4 {
		t.Errorf("CFUN %d: want the radio off", ss.Fun)
	}
}

type pins struct {
	pin   string
	calls int
	given [][]byte
}

func (p *pins) SIMPIN(_ context.Context, iccid string) ([]byte, error) {
	p.calls++
	b := []byte(p.pin)
	p.given = append(p.given, b)
	return b, nil
}

func withPIN(p *pins) rigOpt {
	return func(_ *sim.Config, c *Config) { c.PIN = p }
}

// The PIN comes from the keystore, is entered once, is zeroed after use,
// and never reaches the log, even with every byte traced.
func TestSIMPIN(t *testing.T) {
	p := &pins{pin: "2468"}
	var logs syncBuffer
	r := newRig(t, withCard(sim.NewCard("41001", 2).WithPIN("2468")), withPIN(p), func(_ *sim.Config, c *Config) {
		c.Trace = true
		c.Log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	r.waitPhase(PhaseDataUp)
	if l := logs.String(); strings.Contains(l, "2468") || !strings.Contains(l, `AT+CPIN=***`) {
		t.Errorf("trace log leaks the PIN or lacks the command:\n%s", l)
	}
	if p.calls != 1 {
		t.Errorf("PIN asked %d times, want 1", p.calls)
	}
	for _, b := range p.given {
		if string(b) != "\x00\x00\x00\x00" {
			t.Errorf("PIN buffer not zeroed: %q", b)
		}
	}
}

// A wrong stored PIN is tried once per boot, never again, even across a
// modem reboot; the SIM keeps two tries for a technician.
func TestSIMWrongPINTriedOnce(t *testing.T) {
	p := &pins{pin: "1111"}
	r := newRig(t, withCard(sim.NewCard("41001", 3).WithPIN("2468")), withPIN(p))
	a := r.waitAlert(AlertSIM)
	if !strings.Contains(a.Title, "refused the stored PIN") || strings.Contains(strings.Join(a.Evidence, " "), "1111") {
		t.Errorf("alert %+v", a)
	}
	r.sim.Reboot()
	r.waitFor("a new session", func(st Status) bool {
		return st.Phase == PhaseSIMCheck && strings.Contains(st.Detail, "already tried")
	})
	if p.calls != 1 {
		t.Errorf("PIN asked %d times, want 1", p.calls)
	}
	if ss := r.sim.Status(); ss.PINRetries != 2 {
		t.Errorf("PIN retries %d, want 2", ss.PINRetries)
	}
}

// A SIM that wants its PUK is left alone: no +CPIN with a PUK, ever.
func TestSIMPUKNeverAutomatic(t *testing.T) {
	card := sim.NewCard("41001", 4).WithPIN("2468")
	card.PINRetries = 0
	p := &pins{pin: "2468"}
	r := newRig(t, withCard(card), withPIN(p))
	a := r.waitAlert(AlertSIM)
	if a.Severity != Critical || !strings.Contains(a.Title, "PUK") {
		t.Errorf("alert %+v", a)
	}
	st := r.waitPhase(PhaseSIMCheck)
	if st.SIM != SIMPUK || p.calls != 0 {
		t.Errorf("sim %s, PIN asked %d times", st.SIM, p.calls)
	}
	if ss := r.sim.Status(); ss.PUKRetries != 10 {
		t.Errorf("PUK retries %d, want 10", ss.PUKRetries)
	}
}

// A pulled SIM takes data down and waits; a different SIM put in is
// noticed as a swap and brought up on its own operator's APN.
func TestSIMPullAndSwap(t *testing.T) {
	r := newRig(t)
	r.waitPhase(PhaseDataUp)
	r.sim.PullSIM()
	r.waitFor("SIM absent", func(st Status) bool { return st.SIM == SIMAbsent && st.Phase == PhaseSIMCheck && st.IP == "" })
	if err := r.sim.InsertSIM(sim.NewCard("41004", 5)); err != nil {
		t.Fatal(err)
	}
	r.sim.SetCells(sim.NewCell("41001", sim.LTE, 1), sim.NewCell("41004", sim.LTE, 1))
	st := r.waitFor("data on Zong", func(st Status) bool { return st.Phase == PhaseDataUp && st.APN == "mehfooz.zong" })
	if st.Operator != "Zong" {
		t.Errorf("status %+v", st)
	}
	var swapped bool
	for _, e := range r.eventList() {
		if s, ok := e.(SIMChanged); ok && s.Swapped {
			swapped = true
		}
	}
	if !swapped || len(r.alerts(AlertSIM)) < 2 { // "No SIM card", then "SIM card changed"
		t.Errorf("swap not reported: alerts %+v", r.alerts(AlertSIM))
	}
}

// Every offered call is hung up and raises one alert.
func TestIncomingCallRefused(t *testing.T) {
	r := newRig(t)
	r.waitPhase(PhaseDataUp)
	if err := r.sim.Ring("+923001234567", 5); err != nil {
		t.Fatal(err)
	}
	a := r.waitAlert(AlertIncomingCall)
	if ev := strings.Join(a.Evidence, " "); !strings.Contains(ev, "RING") && !strings.Contains(ev, "+CLIP") {
		t.Errorf("alert %+v", a)
	}
	r.waitFor("call hung up", func(Status) bool { return r.sim.Status().Stats.CallsHungUp == 1 && r.sim.Status().Ringing == "" })
	if st := r.m.Status(); st.Phase != PhaseDataUp {
		t.Errorf("phase %s after the call", st.Phase)
	}
}

// Every SMS is acknowledged and dropped; silent and flash ones raise alerts.
func TestSMSRefused(t *testing.T) {
	r := newRig(t)
	r.waitPhase(PhaseDataUp)
	for _, k := range []sim.SMSKind{sim.SMSNormal, sim.SMSType0, sim.SMSClass0} {
		if err := r.sim.SMS("+923001234567", k, "hello"); err != nil {
			t.Fatal(err)
		}
	}
	r.waitFor("three acks", func(Status) bool { return r.sim.Status().Stats.SMSAcked == 3 })
	r.waitFor("two alerts", func(Status) bool { return len(r.alerts(AlertSMS)) == 2 })
	a := r.alerts(AlertSMS)
	if a[0].Severity != Critical || !strings.Contains(a[0].Title, "Silent") || a[1].Severity != Warning || !strings.Contains(a[1].Title, "Flash") {
		t.Errorf("alerts %+v", a)
	}
	if ss := r.sim.Status(); ss.Stored != 0 {
		t.Errorf("%d messages stored", ss.Stored)
	}
}

// A network with only 2G around: the LTE lock keeps the modem off it, data
// goes down and stays down. A baseband that registers on GSM anyway raises a
// critical alert.
func TestDowngrade2G(t *testing.T) {
	r := newRig(t)
	r.waitPhase(PhaseDataUp)
	r.sim.Downgrade2G()
	r.waitFor("no service", func(st Status) bool { return st.Phase == PhaseSearching && st.IP == "" })
	if err := r.sim.Inject(`+CEREG: 1,"4100","00001010",0`); err != nil {
		t.Fatal(err)
	}
	a := r.waitAlert(AlertDowngrade)
	if a.Severity != Critical || !strings.Contains(a.Evidence[0], "AcT=0") {
		t.Errorf("alert %+v", a)
	}
	time.Sleep(50 * time.Millisecond)
	if st := r.m.Status(); st.Phase == PhaseDataUp {
		t.Errorf("data up on 2G: %+v", st)
	}
}

// A fake base station luring the handset from cell to cell.
func TestCellChurn(t *testing.T) {
	r := newRig(t)
	r.waitPhase(PhaseDataUp)
	<-r.sim.Churn(8, 5*time.Millisecond)
	a := r.waitAlert(AlertCellChurn)
	var n int
	if _, err := fmt.Sscanf(a.Title, "%d cell changes", &n); err != nil || n < 6 || len(a.Evidence) == 0 {
		t.Errorf("alert %+v", a)
	}
}

// A reject cause that invalidates the SIM is critical, with the cause.
func TestRegistrationReject(t *testing.T) {
	r := newRig(t)
	r.waitPhase(PhaseDataUp)
	if err := r.sim.Deny(7); err != nil {
		t.Fatal(err)
	}
	a := r.waitAlert(AlertReject)
	if a.Severity != Critical || !strings.Contains(a.Title, "EPS services not allowed") || !strings.Contains(a.Evidence[0], "reject_cause=7") {
		t.Errorf("alert %+v", a)
	}
	r.waitFor("searching", func(st Status) bool { return st.Phase == PhaseSearching && st.IP == "" })
	r.sim.Deny(0)
	r.waitPhase(PhaseDataUp)
}

// Registered on a network the SIM's policy does not allow: alert, no data.
func TestUnexpectedPLMN(t *testing.T) {
	r := newRig(t, withCells(sim.NewCell("41004", sim.LTE, 1)))
	a := r.waitAlert(AlertUnexpectedNet)
	if a.Severity != Warning || !strings.Contains(a.Title, "41004") {
		t.Errorf("alert %+v", a)
	}
	st := r.waitFor("no data", func(st Status) bool { return strings.Contains(st.Detail, "not allowed") })
	if st.IP != "" {
		t.Errorf("status %+v", st)
	}
	r.sim.SetCells(sim.NewCell("310260", sim.LTE, 1))
	r.waitFor("foreign alert", func(Status) bool {
		for _, a := range r.alerts(AlertUnexpectedNet) {
			if a.Severity == Critical && strings.Contains(a.Title, "310260") {
				return true
			}
		}
		return false
	})
}

// National roaming a provisioning allows gets data.
func TestProvisionedServingNetwork(t *testing.T) {
	r := newRig(t, withCard(sim.NewCard("41006", 8)), withCells(sim.NewCell("41007", sim.LTE, 1)))
	st := r.waitPhase(PhaseDataUp)
	if st.PLMN != "41007" || st.APN != "corp.telenor.pk" || len(r.alerts(AlertUnexpectedNet)) != 0 {
		t.Errorf("status %+v alerts %+v", st, r.alerts(AlertUnexpectedNet))
	}
}

// The network drops the context; it comes back after the retry wait.
func TestContextDropped(t *testing.T) {
	r := newRig(t)
	r.waitPhase(PhaseDataUp)
	if err := r.sim.DropContext(1); err != nil {
		t.Fatal(err)
	}
	r.waitFor("data down", func(Status) bool {
		for _, e := range r.eventList() {
			if d, ok := e.(DataChanged); ok && !d.Up && strings.Contains(d.Reason, "deact") {
				return true
			}
		}
		return false
	})
	r.waitPhase(PhaseDataUp)
}

// The modem reboots on its own: RDY, echo back on; the stack reconfigures
// and comes back; three such resets in an hour are an alert.
func TestModemReboots(t *testing.T) {
	r := newRig(t)
	r.waitPhase(PhaseDataUp)
	for i := range 3 {
		before := r.sim.Status().Stats.Boots
		r.sim.Reboot()
		r.waitFor("reboot seen", func(Status) bool { return r.sim.Status().Stats.Boots > before })
		r.waitFor("data back", func(st Status) bool {
			return st.Phase == PhaseDataUp && !r.sim.Status().Echo && countResets(r, "rdy") > i
		})
	}
	a := r.waitAlert(AlertResets)
	if a.Severity != Critical {
		t.Errorf("alert %+v", a)
	}
}

func countResets(r *rig, reason string) int {
	n := 0
	for _, e := range r.eventList() {
		if m, ok := e.(ModemReset); ok && m.Reason == reason {
			n++
		}
	}
	return n
}

// A USB unplug: the port hangs up, the device is gone for a while (the
// opener finds nothing), then the modem is back, rebooted, and the stack
// with it, without any reset of its own: a device that is briefly away is
// waited for, not power-cycled.
func TestUnplug(t *testing.T) {
	p := &power{}
	r := newRig(t, func(s *sim.Config, c *Config) {
		c.Power = p
		s.ReplugDelay = 500 * time.Millisecond // the opener gives up after 200 ms: two failed opens
	})
	p.s = r.sim
	r.waitPhase(PhaseDataUp)
	if err := r.sim.Unplug(true); err != nil {
		t.Fatal(err)
	}
	r.waitFor("hang-up seen", func(Status) bool { return countResets(r, "hang-up") > 0 })
	st := r.waitPhase(PhaseDataUp)
	if st.IP == "" {
		t.Errorf("status %+v", st)
	}
	if n := p.resets.Load(); n != 0 || countResets(r, "cfun") != 0 {
		t.Errorf("%d power resets, %d AT resets for a device that was away 0.5 s", n, countResets(r, "cfun"))
	}
}

// power is a board.Power that works the simulator's power.
type power struct {
	s      *sim.Modem
	resets atomic.Int32
}

func (p *power) On(context.Context) error    { p.s.PowerOn(); return nil }
func (p *power) Off(context.Context) error   { p.s.PowerOff(); return nil }
func (p *power) Reset(context.Context) error { p.resets.Add(1); p.s.Reboot(); return nil }
func (p *power) Cycle(context.Context) error {
	p.resets.Add(1)
	p.s.PowerOff()
	p.s.PowerOn()
	return nil
}

// A hung firmware answers nothing: the ladder tries AT+CFUN=1,1 (lost on a
// hung modem), then the reset line, and the modem comes back.
func TestHungModemLadder(t *testing.T) {
	p := &power{}
	r := newRig(t, func(_ *sim.Config, c *Config) { c.Power = p })
	p.s = r.sim
	r.waitPhase(PhaseDataUp)
	r.sim.Hang()
	r.waitFor("recovering", func(st Status) bool { return st.Phase == PhaseRecovering })
	r.waitFor("data back", func(st Status) bool { return st.Phase == PhaseDataUp && p.resets.Load() > 0 })
	var reasons []string
	for _, e := range r.eventList() {
		if m, ok := e.(ModemReset); ok {
			reasons = append(reasons, m.Reason)
		}
	}
	if !slices.Contains(reasons, "reset-line") {
		t.Errorf("resets %v: want the reset line used", reasons)
	}
}

// Without power control the ladder tops out at AT resets and keeps trying.
func TestHungModemNoPower(t *testing.T) {
	r := newRig(t)
	r.waitPhase(PhaseDataUp)
	r.sim.Hang()
	r.waitFor("recovering", func(st Status) bool { return st.Phase == PhaseRecovering })
	time.Sleep(300 * time.Millisecond)
	r.sim.PowerOn() // someone presses the power key
	r.waitPhase(PhaseDataUp)
}

// Coverage lost: the stack re-triggers network selection with a growing
// wait, and never toggles the radio (which gets handsets barred).
func TestRegistrationBackoff(t *testing.T) {
	r := newRig(t)
	r.waitPhase(PhaseDataUp)
	mark := len(r.sim.Commands())
	r.sim.LoseCoverage()
	r.waitFor("searching", func(st Status) bool { return st.Phase == PhaseSearching })
	time.Sleep(1500 * time.Millisecond)
	cmds := r.sim.Commands()[mark:]
	retries := 0
	for _, c := range cmds {
		if c == "AT+COPS=0" {
			retries++
		}
		if strings.HasPrefix(c, "AT+CFUN=") {
			t.Errorf("radio toggled while searching: %s", c)
		}
	}
	// 100, 200, 400, 400 ms ... over 1.5 s: a handful, not one per poll.
	if retries < 2 || retries > 8 {
		t.Errorf("%d AT+COPS=0 in 1.5 s, want 2 to 8", retries)
	}
	r.sim.SetCells(sim.NewCell("41001", sim.LTE, 0))
	r.waitPhase(PhaseDataUp)
}

// On a fresh modem, context 1 is written with the radio off, the other
// contexts are deleted, and only then does the radio come on.
func TestContextBeforeAttach(t *testing.T) {
	r := newRig(t)
	r.waitPhase(PhaseDataUp)
	cmds := r.sim.Commands()
	idx := func(want string) int {
		for i, c := range cmds {
			if c == want {
				return i
			}
		}
		return -1
	}
	off, set, del, on := idx("AT+CFUN=4"), idx(`AT+CGDCONT=1,"IPV4V6","gov.secure.jazz"`), idx("AT+CGDCONT=2"), -1
	for i, c := range cmds {
		if c == "AT+CFUN=1" && i > set {
			on = i
			break
		}
	}
	if off < 0 || set < 0 || del < 0 || on < 0 || !(off < set && off < del && set < on && del < on) {
		t.Errorf("order: CFUN=4 at %d, CGDCONT=1 at %d, CGDCONT=2 at %d, CFUN=1 at %d\n%s", off, set, del, on, strings.Join(cmds, "\n"))
	}
	if idx(`AT+QCFG="ims",2`) < 0 {
		t.Error("IMS not switched off")
	}
}

// Noise and a slow answer do not take the stack down: the engine drops the
// over-long line, times the slow command out, resynchronises and goes on.
func TestGarbageAndSlowReplies(t *testing.T) {
	r := newRig(t)
	r.waitPhase(PhaseDataUp)
	if err := r.sim.Garbage(70000, false); err != nil {
		t.Fatal(err)
	}
	r.sim.Delay("+CESQ", 800*time.Millisecond, 1)
	mark := len(r.sim.Commands())
	r.waitFor("two more polls", func(Status) bool {
		n := 0
		for _, c := range r.sim.Commands()[mark:] {
			if c == "AT+CESQ" {
				n++
			}
		}
		return n >= 2
	})
	if st := r.m.Status(); st.Phase != PhaseDataUp || st.IP == "" {
		t.Errorf("status %+v", st)
	}
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// At the simulator's real pace (2 s to register, a busy SIM at boot) and the
// state machine's default timing, bring-up ends in data in seconds: no
// retry wait is spent on events of the set-up itself.
func TestDefaultPace(t *testing.T) {
	if testing.Short() {
		t.Skip("takes the simulated module's real pace, about 3 s")
	}
	r := newRig(t, func(s *sim.Config, c *Config) {
		d := sim.DefaultConfig()
		d.Card = s.Card
		*s = d
		c.Timing = Timing{}
	})
	start := time.Now()
	r.waitPhase(PhaseDataUp)
	// The budget is loose (the machine is shared); what it catches is a
	// 10 s data retry wait or a 30 s poll in the path.
	if d := time.Since(start); d > 9*time.Second {
		t.Errorf("data up after %v", d)
	}
	if err := r.sim.Ring("+923001234567", 3); err != nil {
		t.Fatal(err)
	}
	r.waitAlert(AlertIncomingCall)
}
