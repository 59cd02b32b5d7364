package sim

import (
	"testing"
	"time"

	"mehfooz/clock"
)

func TestBootAndBasics(t *testing.T) {
	checkLeaks(t)
	fake := clock.NewFake(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	cfg := fastConfig()
	cfg.Clock = fake
	cfg.SIMInitDelay = time.Second
	_, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	// Echo is on at boot: the command line comes back before the answer.
	h.expect("RDY", "+CFUN: 1")
	h.send("")
	h.raw("AT\r\r\nOK\r\n")
	blockUntil(t, fake, 1)
	fake.Advance(time.Second)
	h.expect("+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE")
	h.cmd("E0", "ATE0", "OK")
	h.send("")
	h.raw("\r\nOK\r\n")
	h.cmd("+CGMI", "Quectel", "OK")
	h.cmd("+GMM", "EG25", "OK")
	h.cmd("+CGMR", "EG25GGBR07A08M2G", "OK")
	h.cmd("+QGMR", "EG25GGBR07A08M2G_01.003.01.003", "OK")
	h.cmd("+CGSN", EG25G.IMEI, "OK")
	h.cmd("+CGSN=1", `+CGSN: "`+EG25G.IMEI+`"`, "OK")
	h.cmd("I", "Quectel", "EG25", "Revision: EG25GGBR07A08M2G", "OK")
	h.cmd("+GCAP", "+GCAP: +CGSM", "OK")
	h.cmd("+BOGUS", "ERROR")
	h.cmd("+CSQ?", "ERROR")
	h.cmd("X4&C1&D2", "OK")
	h.cmd("S3?", "013", "OK")
	h.cmd("S7=60;S7?", "060", "OK")
}

func TestResultFormats(t *testing.T) {
	checkLeaks(t)
	cfg := fastConfig()
	cfg.Profile = &Generic
	_, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.send("E0")
	h.raw("ATE0\r\r\nOK\r\n")
	// V0: numeric result codes ending in CR alone, information text without
	// the leading CR LF (V.250 §6.2.6).
	h.send("V0")
	h.raw("0\r")
	h.send("+CGMI")
	h.raw("Mehfooz\r\n0\r")
	h.send("+BOGUS")
	h.raw("4\r")
	h.send("V1")
	h.raw("\r\nOK\r\n")
	// Q1: no result codes at all (§6.2.5).
	h.send("Q1;+CGMM")
	h.raw("\r\nSIM27007\r\n")
	h.send("Q0")
	h.raw("\r\nOK\r\n")
	// "A/" repeats the last line.
	h.write("A/")
	h.raw("\r\nOK\r\n")
}

func TestCMEEModes(t *testing.T) {
	checkLeaks(t)
	_, line := startModem(t, fastConfig())
	h := openHost(t, line.Link())
	h.boot()
	// +CPIN with a code when the SIM is ready: operation not allowed.
	h.cmd(`+CPIN="1234"`, "ERROR")
	h.cmd("+CMEE=1", "OK")
	h.cmd(`+CPIN="1234"`, "+CME ERROR: 3")
	h.cmd("+CMEE=2", "OK")
	h.cmd(`+CPIN="1234"`, "+CME ERROR: operation not allowed")
	h.cmd("+CMEE?", "+CMEE: 2", "OK")
	h.cmd("+CMEE=?", "+CMEE: (0-2)", "OK")
	h.cmd("+CMEE=3", "+CME ERROR: incorrect parameters")
	// An unknown command is ERROR whatever +CMEE says.
	h.cmd("+NOPE", "ERROR")
}

func TestConcatenation(t *testing.T) {
	checkLeaks(t)
	_, line := startModem(t, fastConfig())
	h := openHost(t, line.Link())
	h.boot()
	h.cmd("+CMEE=1;+CGMI;+CGMM", "Quectel", "EG25", "OK")
	// The first failing command ends the line: what follows never runs.
	h.cmd("+CGMI;+BOGUS;+CGMM", "Quectel", "ERROR")
	h.cmd("V1E0+CMEE=0", "OK")
	h.cmd("+CMEE?", "+CMEE: 0", "OK")
	h.cmd("+CMEE=1;+CGDCONT=2;+CGDCONT=3", "OK")
	h.cmd(`+CGDCONT=1,"IP","a\22b\5Cc";+CGDCONT?`, `+CGDCONT: 1,"IP","a\22b\5Cc","0.0.0.0",0,0,0,0`, "OK")
	h.cmd(`+CGDCONT=1,"IP","x`, "ERROR")
}

func TestOverlongLineIsAnError(t *testing.T) {
	checkLeaks(t)
	_, line := startModem(t, fastConfig())
	h := openHost(t, line.Link())
	h.boot()
	long := make([]byte, 3*maxLine)
	for i := range long {
		long[i] = 'X'
	}
	h.cmd("+CGMI"+string(long), "ERROR")
	h.cmd("", "OK")
}

func TestSIMBusyAfterBoot(t *testing.T) {
	checkLeaks(t)
	fake := clock.NewFake(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	cfg := fastConfig()
	cfg.Clock = fake
	cfg.SIMInitDelay = time.Second
	cfg.RegisterDelay = 0
	_, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.expect("RDY", "+CFUN: 1")
	h.cmd("E0", "ATE0", "OK")
	h.cmd("+CMEE=1;+CPIN?", "+CME ERROR: 14")
	h.cmd("+CIMI", "+CME ERROR: 14")
	h.cmd("+QCCID", "+CME ERROR: 14")
	h.cmd("+CEREG?", "+CEREG: 0,0", "OK")
	blockUntil(t, fake, 1)
	fake.Advance(time.Second)
	h.expect("+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE")
	h.cmd("+CPIN?", "+CPIN: READY", "OK")
}

// blockUntil waits until n timers wait on the fake clock.
func blockUntil(t *testing.T, fake *clock.Fake, n int) {
	t.Helper()
	done := make(chan struct{})
	timer := time.AfterFunc(waitFor, func() { close(done) })
	defer timer.Stop()
	if !fake.BlockUntil(n, done) {
		t.Fatalf("fewer than %d timers armed on the fake clock", n)
	}
}

func TestGenericHasNoQuectelCommands(t *testing.T) {
	checkLeaks(t)
	cfg := fastConfig()
	cfg.Profile = &Generic
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	// No boot URCs: the first thing the host hears is its own echo.
	h.cmd("E0", "ATE0", "OK")
	for _, c := range []string{`+QCFG="nwscanmode"`, `+QENG="servingcell"`, "+QCCID", "+QGMR", `+QURCCFG="urcport"`, "+QSIMSTAT?", "+QPINC?"} {
		h.cmd(c, "ERROR")
	}
	h.cmd("+CGMI", "Mehfooz", "OK")
	h.cmd("+CCID", "+CCID: "+fastConfig().Card.ICCID, "OK")
	// No factory contexts; the LTE attach defines context 1 with an empty APN.
	waitStatus(t, m, "registration", func(s Status) bool { return s.Stat[epsDomain] == 1 })
	h.cmd("+CGDCONT?", `+CGDCONT: 1,"IPV4V6","","",0,0`, "OK")
	h.cmd("+WS46=?", "+WS46: (12,22,25,28,29,30,31)", "OK")
	h.cmd("+WS46?", "+WS46: 25", "OK")
	h.cmd("+CREG=?", "+CREG: (0-3)", "OK")
}

func TestIdentitiesAreValid(t *testing.T) {
	for _, p := range Profiles {
		if d := luhn(p.IMEI[:14]); p.IMEI[14:] != d {
			t.Errorf("%s IMEI %s: check digit should be %s", p.Name, p.IMEI, d)
		}
	}
	for _, o := range Operators {
		c := NewCard(o.PLMN, 7)
		if err := checkCard(c); err != nil {
			t.Errorf("NewCard(%s): %v", o.PLMN, err)
		}
		if d := luhn(c.ICCID[:len(c.ICCID)-1]); c.ICCID[len(c.ICCID)-1:] != d {
			t.Errorf("ICCID %s: check digit should be %s", c.ICCID, d)
		}
		if c.HomePLMN() != o.PLMN || len(c.IMSI) != 15 {
			t.Errorf("NewCard(%s) IMSI %s", o.PLMN, c.IMSI)
		}
	}
	if a, b := NewCard("41004", 1), NewCard("41004", 2); a.ICCID == b.ICCID || a.IMSI == b.IMSI {
		t.Errorf("two cards share identities: %+v %+v", a, b)
	}
}
