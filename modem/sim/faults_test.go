package sim

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestUnplugHangsUpAndReoffersThePTY(t *testing.T) {
	checkLeaks(t)
	m, line := startModem(t, fastConfig())
	h := openHost(t, line.Link())
	h.boot()
	h.cmd("+CMEE=2", "OK")
	if err := m.Unplug(true); err != nil {
		t.Fatal(err)
	}
	// The serial side sees the hang-up as a read error.
	if err := h.hungUp(); err == nil {
		t.Fatal("the port read no error after the hang-up")
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	p, err := m.WaitPort(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if p.Seq != 2 || p.Path != line.Path() {
		t.Fatalf("new port %+v, line path %s", p, line.Path())
	}
	// The same link leads to the fresh pty; the module booted again.
	h2 := openHost(t, line.Link())
	h2.boot()
	h2.cmd("+CMEE?", "+CMEE: 0", "OK")
	if s := m.Status(); s.Stats.Unplugs != 1 || s.Stats.Boots != 2 {
		t.Fatalf("stats %+v", s.Stats)
	}
}

func TestUnplugKeepingState(t *testing.T) {
	checkLeaks(t)
	m, line := startModem(t, fastConfig())
	h := openHost(t, line.Link())
	h.boot()
	h.cmd("+CMEE=2", "OK")
	if err := m.Unplug(false); err != nil {
		t.Fatal(err)
	}
	h.hungUp()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if _, err := m.WaitPort(ctx, 1); err != nil {
		t.Fatal(err)
	}
	h2 := openHost(t, line.Link())
	h2.cmd("+CMEE?", "+CMEE: 2", "OK")
}

func TestSocketLine(t *testing.T) {
	checkLeaks(t)
	path := filepath.Join(t.TempDir(), "modem.sock")
	sock, err := ListenSocket(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(fastConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(sock); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	dial := func() *host {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		return newHost(t, c)
	}
	h := dial()
	h.boot()
	h.cmd("+CGMM", "EG25", "OK")
	if err := m.Unplug(true); err != nil {
		t.Fatal(err)
	}
	if err := h.hungUp(); err == nil {
		t.Fatal("no error after the modem closed the connection")
	}
	h2 := dial()
	h2.boot()
	h2.cmd("", "OK")
}

func TestRebootResetsSettings(t *testing.T) {
	checkLeaks(t)
	cfg, _ := fakeConfig()
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	h.cmd("+CMEE=1;+CEREG=2;+CGEREP=2", "OK")
	m.Reboot()
	// Echo is back on, the URC settings are gone.
	h.boot()
	h.cmd("+CMEE?;+CEREG?;+CGEREP?", "+CMEE: 0", "+CEREG: 0,1", "+CGEREP: 0,0", "OK")
	// AT+CFUN=1,1 resets after its OK.
	h.cmd("+CFUN=1,1", "OK")
	h.boot()
	if s := m.Status(); s.Stats.Boots != 3 {
		t.Fatalf("boots %d, want 3", s.Stats.Boots)
	}
}

func TestHangAndPower(t *testing.T) {
	checkLeaks(t)
	cfg, _ := fakeConfig()
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	m.Hang()
	h.send("+CGMI") // swallowed by the hung firmware
	waitStatus(t, m, "the command to be ignored", func(s Status) bool { return s.Stats.BytesIgnored == 8 })
	if err := m.Inject("+NOT: sent"); !errors.Is(err, ErrOff) {
		t.Fatalf("inject into a hung modem: %v", err)
	}
	m.Reboot()
	h.boot()
	h.cmd("+QPOWD=1", "OK", "POWERED DOWN")
	h.send("+CGMI")
	waitStatus(t, m, "the command to be ignored", func(s Status) bool { return s.Stats.BytesIgnored == 16 })
	if s := m.Status(); s.Power != "off" {
		t.Fatalf("power %s after +QPOWD", s.Power)
	}
	m.PowerOn()
	h.boot()
	m.PowerOff()
	m.PowerOn()
	h.boot()
}

func TestPINAndPUK(t *testing.T) {
	checkLeaks(t)
	cfg, _ := fakeConfig()
	card := NewCard("41001", 1).WithPIN("1234")
	cfg.Card = &card
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.expect("RDY", "+CFUN: 1", "+CPIN: SIM PIN")
	h.cmd("E0;+CMEE=1", "ATE0;+CMEE=1", "OK")
	h.cmd("+CPIN?", "+CPIN: SIM PIN", "OK")
	h.cmd("+CIMI", "+CME ERROR: 11")
	h.cmd("+CCID", "+CCID: "+card.ICCID, "OK")
	h.cmd("+CEREG?", "+CEREG: 0,0", "OK")
	h.cmd(`+CPIN="0000"`, "+CME ERROR: 16")
	h.cmd("+QPINC?", `+QPINC: "SC",2,10`, `+QPINC: "P2",3,10`, "OK")
	h.cmd(`+CPIN=12`, "+CME ERROR: 50")
	h.cmd(`+CPIN="1234"`, "OK", "+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE")
	h.cmd("+QPINC?", `+QPINC: "SC",3,10`, `+QPINC: "P2",3,10`, "OK")
	h.cmd(`+CLCK="SC",2`, "+CLCK: 1", "OK")
	h.cmd(`+CLCK="SC",0,"9999"`, "+CME ERROR: 16")
	h.cmd(`+CLCK="SC",0,"1234"`, "OK")
	h.cmd(`+CLCK="SC",2`, "+CLCK: 0", "OK")
	h.cmd(`+CLCK="SC",1,"1234"`, "OK")
	waitStatus(t, m, "registration", func(s Status) bool { return s.Stat[epsDomain] == 1 })

	// Three wrong PINs after a reboot block the PIN; the PUK unblocks it.
	m.Reboot()
	h.expect("RDY", "+CFUN: 1", "+CPIN: SIM PIN")
	h.cmd("E0;+CMEE=1", "ATE0;+CMEE=1", "OK")
	h.cmd(`+CPIN="1111"`, "+CME ERROR: 16")
	h.cmd(`+CPIN="1111"`, "+CME ERROR: 16")
	h.cmd(`+CPIN="1111"`, "+CPIN: SIM PUK", "+CME ERROR: 16")
	h.cmd("+CPIN?", "+CPIN: SIM PUK", "OK")
	h.cmd("+CIMI", "+CME ERROR: 12")
	h.cmd(`+CPIN="1234"`, "+CME ERROR: 50") // the PUK state wants PUK and new PIN
	h.cmd(`+CPIN="00000000","4321"`, "+CME ERROR: 16")
	h.cmd(fmt.Sprintf(`+CPIN="%s","4321"`, card.PUK), "OK", "+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE")
	if s := m.Status(); s.SIM != SIMReady || s.PINRetries != 3 || s.PUKRetries != 10 {
		t.Fatalf("after the PUK: %v", s.Lines())
	}
	m.Reboot()
	h.expect("RDY", "+CFUN: 1", "+CPIN: SIM PIN")
	h.cmd("E0;+CMEE=1", "ATE0;+CMEE=1", "OK")
	h.cmd(`+CPIN="4321"`, "OK", "+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE")
}

func TestBlockedSIM(t *testing.T) {
	checkLeaks(t)
	cfg, _ := fakeConfig()
	card := NewCard("41001", 1).WithPIN("1234")
	card.PINRetries, card.PUKRetries = 0, 1
	cfg.Card = &card
	_, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.expect("RDY", "+CFUN: 1", "+CPIN: SIM PUK")
	h.cmd("E0;+CMEE=1", "ATE0;+CMEE=1", "OK")
	h.cmd(`+CPIN="00000000","4321"`, "+CME ERROR: 16")
	h.cmd("+CPIN?", "+CME ERROR: 13")
}

func TestSIMPullAndSwap(t *testing.T) {
	checkLeaks(t)
	cfg, _ := fakeConfig()
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	waitStatus(t, m, "registration", func(s Status) bool { return s.Stat[epsDomain] == 1 })
	h.cmd("+CMEE=1;+QSIMSTAT=1;+CEREG=1;+CGEREP=1", "OK")
	m.PullSIM()
	h.expect("+QSIMSTAT: 1,0", "+CPIN: NOT INSERTED", "+CGEV: ME PDN DEACT 1", "+CGEV: ME DETACH", "+CEREG: 0")
	h.cmd("+CPIN?", "+CME ERROR: 10")
	h.cmd("+CIMI", "+CME ERROR: 10")
	h.cmd("+QSIMSTAT?", "+QSIMSTAT: 1,0", "OK")
	// A Zong card under a Jazz cell: roaming.
	zong := NewCard("41004", 9)
	if err := m.SwapSIM(zong); err != nil {
		t.Fatal(err)
	}
	h.expect("+QSIMSTAT: 1,1", "+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE", "+CEREG: 2", "+CGEV: ME PDN ACT 1", "+CEREG: 5")
	h.cmd("+CIMI", zong.IMSI, "OK")
	h.cmd("+QCCID", "+QCCID: "+zong.ICCID+"F", "OK")
	if err := m.InsertSIM(zong); err == nil {
		t.Fatal("a second card went into a full slot")
	}
	if err := m.SwapSIM(Card{ICCID: "1"}); err == nil {
		t.Fatal("a malformed card was accepted")
	}
}

func TestNoSIMAtBoot(t *testing.T) {
	checkLeaks(t)
	cfg, _ := fakeConfig()
	cfg.Card = nil
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.expect("RDY", "+CFUN: 1", "+CPIN: NOT INSERTED")
	h.cmd("E0;+CMEE=2", "ATE0;+CMEE=2", "OK")
	h.cmd("+CPIN?", "+CME ERROR: SIM not inserted")
	h.cmd("+CEREG?", "+CEREG: 0,0", "OK")
	if err := m.InsertSIM(NewCard("41006", 1)); err != nil {
		t.Fatal(err)
	}
	h.expect("+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE")
}

func TestRegistrationLossAndReturn(t *testing.T) {
	checkLeaks(t)
	cfg, _ := fakeConfig()
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	waitStatus(t, m, "registration", func(s Status) bool { return s.Stat[epsDomain] == 1 })
	h.cmd("+CEREG=2;+CGEREP=2", "OK")
	m.LoseCoverage()
	h.expect("+CGEV: NW PDN DEACT 1", "+CGEV: NW DETACH", "+CEREG: 2")
	h.cmd("+CSQ", "+CSQ: 99,99", "OK")
	if err := m.SetCells(NewCell("41001", LTE, 0)); err != nil {
		t.Fatal(err)
	}
	h.expect("+CGEV: ME PDN ACT 1", "+CEREG: 1,"+jazzTAC+","+jazzCI+",7")
	if err := m.SetCells(Cell{PLMN: "4100"}); err == nil {
		t.Fatal("a cell with a bad PLMN was accepted")
	}
}

func TestRegistrationDenied(t *testing.T) {
	checkLeaks(t)
	cfg, _ := fakeConfig()
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	waitStatus(t, m, "registration", func(s Status) bool { return s.Stat[epsDomain] == 1 })
	h.cmd("+CEREG=5;+CGREG=3", "OK")
	if err := m.Deny(15); err != nil {
		t.Fatal(err)
	}
	loc := jazzTAC + "," + jazzCI + ",7"
	h.expect("+CGREG: 3,"+loc+",,0,15", "+CEREG: 3,"+loc+",0,15")
	h.cmd("+CEER", `+CEER: "EMM reject",15,"No suitable cells in tracking area"`, "OK")
	h.cmd("+CEREG?", "+CEREG: 5,3,"+loc+",0,15", "OK")
	h.cmd("+CEREG=2;+CEREG?", "+CEREG: 2,3,"+loc, "OK")
	h.cmd("+CEREG=1;+CEREG?", "+CEREG: 1,3", "OK")
	h.cmd("+COPS=?", `+COPS: (3,"Jazz","Jazz","41001",7),,(0,1,2,3,4),(0,1,2)`, "OK")
	if err := m.Deny(0); err != nil {
		t.Fatal(err)
	}
	h.expect("+CGREG: 2", "+CEREG: 2", "+CGREG: 1,"+loc, "+CEREG: 1")
}

func TestDowngrade2G(t *testing.T) {
	checkLeaks(t)
	cfg, _ := fakeConfig()
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	waitStatus(t, m, "registration", func(s Status) bool { return s.Stat[epsDomain] == 1 })
	h.cmd("+CREG=2;+CEREG=2", "OK")
	m.Downgrade2G()
	h.expect("+CREG: 2", "+CEREG: 2", `+CREG: 1,"4104","1074",0`, "+CEREG: 0")
	if s := m.Status(); s.AcT != GSM {
		t.Fatalf("AcT %v after the downgrade", s.AcT)
	}
	h.cmd(`+QENG="servingcell"`, `+QENG: "servingcell","NOCONN","GSM",410,01,4104,1074,47,62,0,-73,0,-,-,37,37,1,-,-,-,-,-,-,-,-,-,-`, "OK")
}

func TestCellChurn(t *testing.T) {
	checkLeaks(t)
	cfg, fake := fakeConfig()
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	waitStatus(t, m, "registration", func(s Status) bool { return s.Stat[epsDomain] == 1 })
	h.cmd("+CEREG=2", "OK")
	done := m.Churn(3, time.Second)
	seen := map[string]bool{"+CEREG: 1," + jazzTAC + "," + jazzCI + ",7": true}
	for i := range 3 {
		l := h.line()
		if !strings.HasPrefix(l, "+CEREG: 1,") || !strings.HasSuffix(l, ",7") || seen[l] {
			t.Fatalf("change %d: %q", i, l)
		}
		seen[l] = true
		blockUntil(t, fake, 1)
		fake.Advance(time.Second)
	}
	select {
	case <-done:
	case <-time.After(waitFor):
		t.Fatal("churn did not end")
	}
	if s := m.Status(); s.CI == 0xA10001 || s.PLMN != "41001" {
		t.Fatalf("after churn: %v", s.Lines())
	}
}

func TestURCStorm(t *testing.T) {
	checkLeaks(t)
	m, line := startModem(t, fastConfig())
	h := openHost(t, line.Link())
	h.boot()
	waitStatus(t, m, "registration", func(s Status) bool { return s.Stat[epsDomain] == 1 })
	h.cmd("+CEREG=2", "OK")
	const n = 5000
	done := m.Storm(n, 0)
	truth := "+CEREG: 1," + jazzTAC + "," + jazzCI + ",7"
	for i := range n {
		if l := h.line(); !strings.HasPrefix(l, "+CEREG: 1,"+jazzTAC+",") || l == truth {
			t.Fatalf("storm URC %d: %q", i, l)
		}
	}
	h.expect(truth)
	<-done
	// At a rate, too; the modem still answers afterwards.
	<-m.Storm(20, 2000)
	for range 20 {
		h.line()
	}
	h.expect(truth)
	h.cmd("", "OK")
}

func TestGarbage(t *testing.T) {
	checkLeaks(t)
	m, line := startModem(t, fastConfig())
	h := openHost(t, line.Link())
	h.boot()
	const n = 70000
	if err := m.Garbage(n, false); err != nil {
		t.Fatal(err)
	}
	h.take("garbage", func(b []byte) (int, bool, error) {
		if i := strings.IndexAny(string(b[:min(len(b), n)]), "\r\n"); i >= 0 {
			return 0, false, fmt.Errorf("a line end at %d", i)
		}
		return n, len(b) >= n, nil
	})
	h.send("")
	h.raw("\r\nOK\r\n")
	if err := m.Garbage(100, true); err != nil {
		t.Fatal(err)
	}
	h.take("garbage line", func(b []byte) (int, bool, error) {
		if len(b) < 102 {
			return 0, false, nil
		}
		if string(b[100:102]) != "\r\n" {
			return 0, false, fmt.Errorf("no CR LF after 100 bytes: %q", b[98:102])
		}
		return 102, true, nil
	})
	h.cmd("", "OK")
}

func TestDelayedReplies(t *testing.T) {
	checkLeaks(t)
	cfg, fake := fakeConfig()
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	waitStatus(t, m, "registration", func(s Status) bool { return s.Stat[epsDomain] == 1 })
	m.Delay("+CSQ", time.Minute, 1)
	h.send("+CSQ")
	blockUntil(t, fake, 1)
	// The module is busy: a URC gets out before the late answer.
	if err := m.Inject("+QIND: \"csq\",24,99"); err != nil {
		t.Fatal(err)
	}
	h.expect(`+QIND: "csq",24,99`)
	fake.Advance(time.Minute)
	h.expect("+CSQ: 24,99", "OK")
	h.cmd("+CSQ", "+CSQ: 24,99", "OK") // only one was delayed
	m.Delay("", time.Second, 0)
	h.send("+CGMM")
	blockUntil(t, fake, 1)
	fake.Advance(time.Second)
	h.expect("EG25", "OK")
	m.ClearDelays()
	h.cmd("", "OK")
	if got := m.Commands(); len(got) < 3 || got[len(got)-1] != "AT" {
		t.Fatalf("commands %q", got)
	}
}

func TestTranscript(t *testing.T) {
	checkLeaks(t)
	cfg, _ := fakeConfig()
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	h.cmd("+CGMI", "Quectel", "OK")
	var b strings.Builder
	if err := m.WriteTranscript(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"! RDY\n", "> ATE0\n", "< OK\n", "> AT+CGMI\n", "< Quectel\n", "# boot 1\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("transcript lacks %q:\n%s", want, b.String())
		}
	}
}

func TestCloseEndsPendingFaults(t *testing.T) {
	checkLeaks(t)
	cfg, _ := fakeConfig()
	m, line := startModem(t, cfg)
	openHost(t, line.Link()).boot()
	waitStatus(t, m, "registration", func(s Status) bool { return s.Stat[epsDomain] == 1 })
	churn := m.Churn(100, time.Hour) // the fake clock never gets there
	storm := m.Storm(1000, 1)
	m.Close()
	for _, ch := range []<-chan struct{}{churn, storm} {
		select {
		case <-ch:
		case <-time.After(waitFor):
			t.Fatal("a fault's channel stayed open after Close")
		}
	}
}

// TestUSBResetReenumerates: on a USB module, AT+CFUN=1,1 answers OK, then
// the port hangs up and the module boots on a fresh one; powered off, it
// offers no port until powered on.
func TestUSBResetReenumerates(t *testing.T) {
	checkLeaks(t)
	cfg := fastConfig()
	cfg.USB = true
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	h.cmd("+CFUN=1,1", "OK")
	if err := h.hungUp(); err == nil {
		t.Fatal("no hang-up after the reset")
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if p, err := m.WaitPort(ctx, 1); err != nil || p.Seq != 2 {
		t.Fatalf("port after the reset: %+v %v", p, err)
	}
	h2 := openHost(t, line.Link())
	h2.boot()
	h2.cmd("+QPOWD=1", "OK", "POWERED DOWN")
	h2.hungUp()
	short, cancelShort := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancelShort()
	if p, err := m.WaitPort(short, 2); err == nil {
		t.Fatalf("a powered-off USB modem offered port %+v", p)
	}
	m.PowerOn()
	if p, err := m.WaitPort(ctx, 2); err != nil || p.Seq != 3 {
		t.Fatalf("port after power on: %+v %v", p, err)
	}
	openHost(t, line.Link()).boot()
	if s := m.Status(); s.Stats.Boots != 3 {
		t.Fatalf("boots %d, want 3", s.Stats.Boots)
	}
}
