package sim

import (
	"fmt"
	"testing"
)

func TestQCFG(t *testing.T) {
	checkLeaks(t)
	cfg, _ := fakeConfig()
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	h.cmd("+CMEE=1", "OK")
	// IMS is on from the factory; turning it off takes a reboot.
	h.cmd(`+QCFG="ims"`, `+QCFG: "ims",1,1`, "OK")
	h.cmd(`+QCFG="ims",2`, "OK")
	h.cmd(`+QCFG="ims"`, `+QCFG: "ims",2,1`, "OK")
	for _, item := range []string{"urc/cache", "ApRstLevel", "ModemRstLevel"} {
		h.cmd(fmt.Sprintf(`+QCFG="%s",%d`, item, b2iInt(item != "urc/cache")), "OK")
	}
	h.cmd(`+QCFG="servicedomain",1,1`, "OK")
	h.cmd(`+QCFG="nwscanmode",3,1`, "OK")
	m.Reboot()
	h.boot()
	// NV settings survive the reboot.
	h.cmd(`+QCFG="ims"`, `+QCFG: "ims",2,0`, "OK")
	h.cmd(`+QCFG="urc/cache"`, `+QCFG: "urc/cache",0`, "OK")
	h.cmd(`+QCFG="ApRstLevel"`, `+QCFG: "ApRstLevel",1`, "OK")
	h.cmd(`+QCFG="modemrstlevel"`, `+QCFG: "ModemRstLevel",1`, "OK")
	h.cmd(`+QCFG="servicedomain"`, `+QCFG: "servicedomain",1`, "OK")
	h.cmd(`+QCFG="nwscanmode"`, `+QCFG: "nwscanmode",3`, "OK")
	h.cmd("+CMEE=1", "OK")
	h.cmd(`+QCFG="bogus"`, "+CME ERROR: 50")
	h.cmd(`+QCFG="nwscanmode",9`, "+CME ERROR: 50")
	h.cmd(`+QCFG="ims",1,1`, "+CME ERROR: 50")
	h.cmd("+QCFG?", "ERROR")
}

func b2iInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestQURCCFGRoutesURCs(t *testing.T) {
	checkLeaks(t)
	cfg, _ := fakeConfig()
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	h.cmd(`+QURCCFG="urcport"`, `+QURCCFG: "urcport","usbat"`, "OK")
	h.cmd(`+QURCCFG="urcport","uart1"`, "OK")
	// Our port is usbat: the registration URCs now go to the UART.
	h.cmd("+CEREG=1;+CFUN=0", "OK")
	h.cmd("+CEREG?", "+CEREG: 1,0", "OK")
	if s := m.Status(); s.Stats.URCsMisrouted == 0 {
		t.Fatal("no URC counted as misrouted")
	}
	h.cmd(`+QURCCFG="urcport","all"`, "OK")
	h.cmd("+CFUN=1", "+CEREG: 2", "OK")
	h.expect("+CEREG: 1")
	h.cmd("+CMEE=1", "OK")
	h.cmd(`+QURCCFG="urcport","nowhere"`, "+CME ERROR: 50")
}

func TestQuectelSIMCommands(t *testing.T) {
	checkLeaks(t)
	cfg, _ := fakeConfig()
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	iccid := cfg.Card.ICCID
	if len(iccid) != 19 {
		t.Fatalf("default ICCID %s: want 19 digits", iccid)
	}
	h.cmd("+QCCID", "+QCCID: "+iccid+"F", "OK")
	h.cmd("+CCID", "+CCID: "+iccid, "OK")
	h.cmd("+CRSM=176,12258,0,0,10", `+CRSM: 144,0,"`+swapBCD(iccid, 10)+`"`, "OK")
	if got := swapBCD("8992014000000000012", 10); got != "982910040000000010F2" {
		t.Fatalf("swapBCD = %s", got)
	}
	h.cmd("+CRSM=176,28589,0,0,4", `+CRSM: 144,0,"00000002"`, "OK")
	h.cmd("+CRSM=176,28423,0,0,9", "+CRSM: 106,130", "OK")
	h.cmd("+CIMI", cfg.Card.IMSI, "OK")
	h.cmd("+QPINC?", `+QPINC: "SC",3,10`, `+QPINC: "P2",3,10`, "OK")
	h.cmd(`+QPINC="SC"`, `+QPINC: "SC",3,10`, "OK")
	h.cmd("+QSIMSTAT?", "+QSIMSTAT: 0,1", "OK")
	h.cmd("+QSIMSTAT=1;+QSIMSTAT?", "+QSIMSTAT: 1,1", "OK")
	h.cmd("+QSIMDET=1,0", "OK")
	_ = m
}

func TestQENG(t *testing.T) {
	checkLeaks(t)
	cfg, _ := fakeConfig()
	cfg.Cells = []Cell{NewCell("41004", LTE, 0), NewCell("41004", LTE, 1)}
	cfg.Cells[1].EARFCN = 1850
	card := NewCard("41004", 3)
	cfg.Card = &card
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	waitStatus(t, m, "registration", func(s Status) bool { return s.Stat[epsDomain] == 1 })
	c := cfg.Cells[0]
	h.cmd(`+QENG="servingcell"`, fmt.Sprintf(`+QENG: "servingcell","NOCONN","LTE","FDD",410,04,%X,%d,1300,3,5,5,%X,-92,-9,-65,14,32`, c.CI, c.PCI, c.LAC), "OK")
	n := cfg.Cells[1]
	h.cmd(`+QENG="neighbourcell"`, fmt.Sprintf(`+QENG: "neighbourcell inter","LTE",1850,%d,-9,-92,-65,14,32,-,-,-,-`, n.PCI), "OK")
	if err := m.Deny(15); err != nil {
		t.Fatal(err)
	}
	h.cmd(`+QENG="servingcell"`, fmt.Sprintf(`+QENG: "servingcell","LIMSRV","LTE","FDD",410,04,%X,%d,1300,3,5,5,%X,-92,-9,-65,14,32`, c.CI, c.PCI, c.LAC), "OK")
	h.cmd("+CFUN=0", "OK")
	h.cmd(`+QENG="servingcell"`, `+QENG: "servingcell","SEARCH"`, "OK")
	h.cmd(`+QENG="bogus"`, "ERROR")
}
