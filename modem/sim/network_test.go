package sim

import (
	"strings"
	"testing"
	"time"

	"mehfooz/clock"
)

func TestRegistrationURCs(t *testing.T) {
	checkLeaks(t)
	_, line := startModem(t, fastConfig())
	h := openHost(t, line.Link())
	h.boot()
	h.reregister(2)
	loc := jazzTAC + "," + jazzCI + ",7"
	h.expect("+CREG: 1,"+loc, "+CGREG: 1,"+loc, "+CEREG: 1,"+loc)
	h.cmd("+CREG?;+CGREG?;+CEREG?", "+CREG: 2,1,"+loc, "+CGREG: 2,1,"+loc, "+CEREG: 2,1,"+loc, "OK")
	// n=1: stat only.
	h.cmd("+CEREG=1;+CEREG?", "+CEREG: 1,1", "OK")
	h.cmd("+CFUN=4", "+CREG: 0", "+CGREG: 0", "+CEREG: 0", "OK")
	h.cmd("+CEREG=0;+CFUN=1", "+CREG: 2", "+CGREG: 2", "OK")
	h.expect("+CREG: 1,"+loc, "+CGREG: 1,"+loc)
	h.cmd("+CREG=?", "+CREG: (0-2)", "OK")
	h.cmd("+CEREG=?", "+CEREG: (0-5)", "OK")
	h.cmd("+CMEE=1;+CREG=3", "+CME ERROR: 50")
	h.cmd("+CFUN?", "+CFUN: 1", "OK")
	h.cmd("+CFUN=?", "+CFUN: (0,1,4),(0-1)", "OK")
}

func TestCOPS(t *testing.T) {
	checkLeaks(t)
	cfg := fastConfig()
	cfg.Cells = []Cell{NewCell("41001", LTE, 0), NewCell("41004", LTE, 1), NewCell("41004", GSM, 2)}
	_, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	h.cmd("+CMEE=1", "OK")
	h.reregister(2)
	h.until("+CEREG: 1," + jazzTAC + "," + jazzCI + ",7")
	h.cmd("+COPS?", `+COPS: 0,0,"Jazz",7`, "OK")
	h.cmd("+COPS=3,2;+COPS?", `+COPS: 0,2,"41001",7`, "OK")
	h.cmd("+COPS=3,1;+COPS?", `+COPS: 0,1,"Jazz",7`, "OK")
	h.cmd("+COPS=?", `+COPS: (2,"Jazz","Jazz","41001",7),(1,"Zong","Zong","41004",7),(1,"Zong","Zong","41004",0),,(0,1,2,3,4),(0,1,2)`, "OK")
	// Manual selection of a network in range: a roaming registration.
	h.send(`+COPS=1,2,"41004",7`)
	h.expect("+CREG: 2", "+CGREG: 2", "+CEREG: 2")
	skipped := h.until("OK")
	want := []string{`+CREG: 5,"2401","00A40102",7`, `+CGREG: 5,"2401","00A40102",7`, `+CEREG: 5,"2401","00A40102",7`}
	if strings.Join(skipped, "|") != strings.Join(want, "|") {
		t.Fatalf("manual selection: got %q, want %q", skipped, want)
	}
	h.cmd("+COPS=3,2;+COPS?", `+COPS: 1,2,"41004",7`, "OK")
	// A network not in range: no network service, and the modem searches.
	h.send(`+COPS=1,2,"41006"`)
	h.expect("+CREG: 2", "+CGREG: 2", "+CEREG: 2", "+CME ERROR: 30")
	h.cmd("+COPS?", "+COPS: 1", "OK")
	h.cmd("+COPS=0", "OK")
	h.until("+CEREG: 1," + jazzTAC + "," + jazzCI + ",7")
	// Deregister, and unknown operator names.
	h.cmd("+COPS=2", "+CREG: 0", "+CGREG: 0", "+CEREG: 0", "OK")
	h.cmd(`+COPS=1,0,"Nowhere"`, "+CME ERROR: 50")
	h.cmd("+COPS=5", "+CME ERROR: 50")
}

func TestSignal(t *testing.T) {
	checkLeaks(t)
	cfg := fastConfig()
	gsm := NewCell("41001", GSM, 0)
	_, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	h.cmd("+CFUN=0", "OK")
	h.cmd("+CSQ", "+CSQ: 99,99", "OK")
	h.cmd("+CESQ", "+CESQ: 99,99,255,255,255,255", "OK")
	h.reregister(1)
	h.expect("+CREG: 1", "+CGREG: 1", "+CEREG: 1")
	// -65 dBm RSSI is CSQ 24; RSRQ -9 dB is 22, RSRP -92 dBm is 49 (27.007 §8.69).
	h.cmd("+CSQ", "+CSQ: 24,99", "OK")
	h.cmd("+CESQ", "+CESQ: 99,99,255,255,22,49", "OK")
	h.cmd("+CSQ=?", "+CSQ: (0-31,99),(0-7,99)", "OK")
	_ = gsm
}

func TestRATLockWS46(t *testing.T) {
	checkLeaks(t)
	cfg := fastConfig()
	cfg.Profile = &Generic
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.cmd("E0", "ATE0", "OK")
	h.cmd("+WS46=28;+WS46?", "+WS46: 28", "OK")
	h.reregister(2)
	loc := jazzTAC + "," + jazzCI + ",7"
	h.expect("+CREG: 1,"+loc, "+CGREG: 1,"+loc, "+CEREG: 1,"+loc)
	// A fake 2G cell: locked to LTE, the modem finds no service.
	m.Downgrade2G()
	h.expect("+CREG: 2", "+CGREG: 2", "+CEREG: 2")
	h.cmd("+COPS?", "+COPS: 0", "OK")
	if s := m.Status(); s.PLMN != "" || s.Stat != [3]int{2, 2, 2} {
		t.Fatalf("locked to LTE under a GSM cell: %v", s.Lines())
	}
	// Unlocked, it registers on GSM (AcT 0): no EPS registration.
	h.cmd("+WS46=25", "OK")
	h.expect(`+CREG: 1,"4104","1074",0`, `+CGREG: 1,"4104","1074",0`, "+CEREG: 0")
	h.cmd("+COPS?", `+COPS: 0,0,"Jazz",0`, "OK")
	h.cmd("+CSQ", "+CSQ: 20,0", "OK")
	h.cmd("+CESQ", "+CESQ: 38,0,255,255,255,255", "OK")
	h.cmd("+CMEE=1;+WS46=13", "+CME ERROR: 50")
}

func TestRATLockNWScanMode(t *testing.T) {
	checkLeaks(t)
	m, line := startModem(t, fastConfig())
	h := openHost(t, line.Link())
	h.boot()
	h.cmd("+CMEE=1;+WS46=28", "ERROR")
	h.cmd(`+QCFG="nwscanmode",3,1`, "OK")
	h.cmd(`+QCFG="nwscanmode"`, `+QCFG: "nwscanmode",3`, "OK")
	h.reregister(2)
	h.until("+CEREG: 1," + jazzTAC + "," + jazzCI + ",7")
	m.Downgrade2G()
	h.expect("+CREG: 2", "+CGREG: 2", "+CEREG: 2")
	h.cmd(`+QENG="servingcell"`, `+QENG: "servingcell","SEARCH"`, "OK")
	h.cmd(`+QCFG="nwscanmode",0,1`, "OK")
	h.expect(`+CREG: 1,"4104","1074",0`, `+CGREG: 1,"4104","1074",0`, "+CEREG: 0")
}

func TestCEMODEAndServiceDomain(t *testing.T) {
	checkLeaks(t)
	_, line := startModem(t, fastConfig())
	h := openHost(t, line.Link())
	h.boot()
	h.reregister(1)
	h.expect("+CREG: 1", "+CGREG: 1", "+CEREG: 1")
	// PS mode 2: an EPS-only attach leaves no circuit-switched registration.
	h.cmd("+CEMODE=0", "+CREG: 0", "OK")
	h.cmd("+CEMODE?", "+CEMODE: 0", "OK")
	h.cmd("+CEMODE=2", "+CREG: 1", "OK")
	h.cmd(`+QCFG="servicedomain",1,1`, "+CREG: 0", "OK")
	h.cmd(`+QCFG="servicedomain"`, `+QCFG: "servicedomain",1`, "OK")
}

func TestNITZ(t *testing.T) {
	checkLeaks(t)
	fake := clock.NewFake(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	cfg := fastConfig()
	cfg.Clock = fake
	cfg.SIMInitDelay, cfg.RegisterDelay = 0, 0
	_, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	h.cmd("+CFUN=0;+CTZR=2;+CEREG=1", "OK")
	h.cmd("+CFUN=1", "+CEREG: 2", "OK")
	h.expect("+CEREG: 1", `+CTZE: "+20",0,"2026/11/28,17:00:00"`)
	h.cmd("+CTZR?", "+CTZR: 2", "OK")
}
