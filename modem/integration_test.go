package modem

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.bug.st/serial"

	"mehfooz/modem/sim"
)

// onPTY runs the simulator on a real pseudo-terminal behind a stable link,
// and opens it as the daemon opens a modem: go.bug.st/serial, 115200 baud,
// no read timeout (a timeout makes Read return 0, nil, which reads as a
// hang-up), no initial modem bits (a pty has none).
func onPTY(t *testing.T, st *setup) {
	link := filepath.Join(t.TempDir(), "ttyModem")
	line, err := sim.NewPTY(link)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	st.line = line
	st.cfg.Open = func(ctx context.Context) (io.ReadWriteCloser, error) {
		return serial.Open(link, &serial.Mode{BaudRate: 115200})
	}
}

// TestIntegrationPTY runs the whole modem stack against the simulator on a
// pty, through every fault the simulator has, one after the other on the
// same stack: each must end in the right state with the right alert, and
// the stack must come back to data every time. The leak check runs at the
// end.
func TestIntegrationPTY(t *testing.T) {
	if testing.Short() {
		t.Skip("the pty integration test takes about 15 s")
	}
	p := &power{}
	r := newRigOn(t, onPTY, func(s *sim.Config, c *Config) {
		c.Power = p
		s.RegisterDelay, s.SIMInitDelay, s.ActivateDelay = 20*time.Millisecond, 30*time.Millisecond, 10*time.Millisecond
		s.ReplugDelay = 100 * time.Millisecond
	})
	p.s = r.sim
	up := func(what string) Status {
		t.Helper()
		return r.waitFor("data back after "+what, func(st Status) bool { return st.Phase == PhaseDataUp && st.IP != "" })
	}
	st := up("bring-up")
	if st.APN != "gov.secure.jazz" || st.Operator != "Jazz" || st.RAT != "LTE" {
		t.Fatalf("status %+v", st)
	}

	t.Log("fault: ring")
	{
		if err := r.sim.Ring("+923001234567", 5); err != nil {
			t.Fatal(err)
		}
		r.waitAlert(AlertIncomingCall)
		r.waitFor("hang-up", func(Status) bool { return r.sim.Status().Stats.CallsHungUp == 1 })
	}
	t.Log("fault: sms")
	{
		for _, k := range []sim.SMSKind{sim.SMSNormal, sim.SMSType0, sim.SMSClass0} {
			if err := r.sim.SMS("+923001234567", k, "x"); err != nil {
				t.Fatal(err)
			}
		}
		r.waitFor("acks and alerts", func(Status) bool {
			return r.sim.Status().Stats.SMSAcked == 3 && len(r.alerts(AlertSMS)) == 2
		})
		if r.sim.Status().Stored != 0 {
			t.Error("a message was stored")
		}
	}
	t.Log("fault: garbage")
	{
		if err := r.sim.Garbage(70000, false); err != nil {
			t.Fatal(err)
		}
		if err := r.sim.Garbage(3000, true); err != nil {
			t.Fatal(err)
		}
		polled(t, r, "AT+CEREG?", "AT+CESQ")
		up("garbage")
	}
	t.Log("fault: slow and late replies")
	{
		r.sim.Delay("+CESQ", 800*time.Millisecond, 2)  // past the 500 ms command timeout
		r.sim.Delay("+CEREG", 300*time.Millisecond, 1) // slow, in time
		polled(t, r, "AT+CESQ", "AT+CESQ", "AT+CESQ")
		up("late replies")
	}
	t.Log("fault: registration loss")
	{
		r.sim.LoseCoverage()
		r.waitFor("searching", func(st Status) bool { return st.Phase == PhaseSearching && st.IP == "" })
		r.sim.SetCells(sim.NewCell("41001", sim.LTE, 0))
		up("coverage")
	}
	t.Log("fault: 2G downgrade")
	{
		r.sim.Downgrade2G()
		r.waitFor("no LTE", func(st Status) bool { return st.Phase == PhaseSearching && st.IP == "" })
		if err := r.sim.Inject(`+CEREG: 1,"4100","00001010",0`); err != nil {
			t.Fatal(err)
		}
		a := r.waitAlert(AlertDowngrade)
		if a.Severity != Critical {
			t.Errorf("alert %+v", a)
		}
		r.sim.SetCells(sim.NewCell("41001", sim.LTE, 0))
		up("2G")
	}
	t.Log("fault: cell churn")
	{
		<-r.sim.Churn(8, 20*time.Millisecond)
		r.waitAlert(AlertCellChurn)
		up("churn")
	}
	t.Log("fault: registration reject")
	{
		r.sim.Deny(3)
		a := r.waitAlert(AlertReject)
		if a.Severity != Critical || !strings.Contains(a.Title, "illegal UE") {
			t.Errorf("alert %+v", a)
		}
		r.sim.Deny(0)
		up("reject")
	}
	t.Log("fault: URC storm")
	{
		<-r.sim.Storm(2000, 500) // 4 s over the 100/s alarm rate
		a := r.waitAlert(AlertURCStorm)
		if !strings.Contains(a.Evidence[0], "rate=") {
			t.Errorf("alert %+v", a)
		}
		up("storm")
	}
	t.Log("fault: SIM pull and swap")
	{
		r.sim.PullSIM()
		r.waitFor("no SIM", func(st Status) bool { return st.SIM == SIMAbsent && st.IP == "" })
		r.sim.SetCells(sim.NewCell("41001", sim.LTE, 0), sim.NewCell("41004", sim.LTE, 0))
		if err := r.sim.InsertSIM(sim.NewCard("41004", 9)); err != nil {
			t.Fatal(err)
		}
		st := up("swap")
		if st.APN != "mehfooz.zong" || st.PLMN != "41004" {
			t.Errorf("status %+v", st)
		}
	}
	t.Log("fault: reboot")
	{
		n := countResets(r, "rdy")
		r.sim.Reboot()
		r.waitFor("RDY seen", func(Status) bool { return countResets(r, "rdy") > n })
		up("reboot")
		if r.sim.Status().Echo {
			t.Error("echo left on")
		}
	}
	t.Log("fault: unplug")
	{
		if err := r.sim.Unplug(true); err != nil {
			t.Fatal(err)
		}
		r.waitFor("hang-up seen", func(Status) bool { return countResets(r, "hang-up") > 0 })
		up("unplug")
	}
	t.Log("fault: firmware hang")
	{
		resets := p.resets.Load()
		r.sim.Hang()
		r.waitFor("recovering", func(st Status) bool { return st.Phase == PhaseRecovering })
		r.waitFor("power used", func(Status) bool { return p.resets.Load() > resets })
		up("hang")
	}
}

// polled waits until the stack has sent each of cmds again.
func polled(t *testing.T, r *rig, cmds ...string) {
	t.Helper()
	mark := len(r.sim.Commands())
	r.waitFor("polls "+strings.Join(cmds, " "), func(Status) bool {
		seen := r.sim.Commands()[mark:]
		i := 0
		for _, c := range seen {
			if i < len(cmds) && c == cmds[i] {
				i++
			}
		}
		return i == len(cmds)
	})
}
