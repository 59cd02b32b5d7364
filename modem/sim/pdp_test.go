package sim

import (
	"testing"
	"time"
)

func TestPDPContexts(t *testing.T) {
	checkLeaks(t)
	m, line := startModem(t, fastConfig())
	h := openHost(t, line.Link())
	h.boot()
	h.cmd("+CMEE=1;+CFUN=0", "OK")
	// The EG25's factory contexts include IMS and emergency APNs.
	h.cmd("+CGDCONT?",
		`+CGDCONT: 1,"IPV4V6","","0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0",0,0,0,0`,
		`+CGDCONT: 2,"IPV4V6","ims","0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0",0,0,0,0`,
		`+CGDCONT: 3,"IPV4V6","sos","0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0",0,0,0,0`,
		"OK")
	h.cmd(`+CGDCONT=1,"IPV4V6","mehfooz.corp";+CGDCONT=2;+CGDCONT=3`, "OK")
	h.cmd("+CGDCONT?", `+CGDCONT: 1,"IPV4V6","mehfooz.corp","0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0",0,0,0,0`, "OK")
	h.cmd(`+CGDCONT=2,"PPP","x"`, "+CME ERROR: 50")
	h.cmd(`+CGAUTH=1,1,"user","secret"`, "OK")
	h.cmd("+CGAUTH?", `+CGAUTH: 1,1,"user"`, "OK")
	h.cmd("+CGEREP=2,1;+CEREG=2", "OK")
	h.cmd("+CGEREP?", "+CGEREP: 2,0", "OK")
	h.cmd("+CGACT=1,1", "+CME ERROR: 30")
	h.cmd("+CGATT?", "+CGATT: 0", "OK")
	h.cmd("+CFUN=1", "+CEREG: 2", "OK")
	// The LTE attach brings context 1 up with the APN it names.
	h.expect("+CGEV: ME PDN ACT 1", "+CEREG: 1,"+jazzTAC+","+jazzCI+",7")
	h.cmd("+CGATT?", "+CGATT: 1", "OK")
	h.cmd("+CGACT?", "+CGACT: 1,1", "OK")
	h.cmd("+CGACT=1,1", "OK")
	const v6 = "253.0.4.16.0.1.0.1.0.0.0.0.0.0.0.3"
	h.cmd("+CGPADDR=1", `+CGPADDR: 1,"10.41.1.3","`+v6+`"`, "OK")
	h.cmd("+CGPADDR", `+CGPADDR: 1,"10.41.1.3","`+v6+`"`, "OK")
	h.cmd("+CGCONTRDP=1",
		`+CGCONTRDP: 1,5,"mehfooz.corp.mnc001.mcc410.gprs","10.41.1.3.255.255.255.0","10.41.1.1","10.41.0.53","10.41.0.54"`,
		`+CGCONTRDP: 1,5,"mehfooz.corp.mnc001.mcc410.gprs","`+v6+`.255.255.255.255.255.255.255.255.0.0.0.0.0.0.0.0"`,
		"OK")
	if s := m.Status(); len(s.Contexts) != 1 || !s.Contexts[0].Active || s.Contexts[0].Addr != "10.41.1.3" {
		t.Fatalf("contexts %+v", s.Contexts)
	}
	h.cmd("+CGDCONT=1", "+CME ERROR: 3")
	h.cmd("+CGACT=1,7", "+CME ERROR: 50")
	h.cmd("+CGACT=0,1", "+CGEV: ME PDN DEACT 1", "OK")
	h.cmd("+CGPADDR=1", "+CGPADDR: 1", "OK")
	h.cmd("+CGCONTRDP=1", "OK")
	h.cmd("+CGACT=1,1", "+CGEV: ME PDN ACT 1", "OK")
	// Detach and attach again.
	h.cmd("+CGATT=0", "+CGEV: ME PDN DEACT 1", "+CGEV: ME DETACH", "+CEREG: 0", "OK")
	h.cmd("+CGATT?", "+CGATT: 0", "OK")
	h.cmd("+CGATT=1", "+CGEV: ME PDN ACT 1", "+CEREG: 1,"+jazzTAC+","+jazzCI+",7", "OK")
	// A network-initiated deactivation.
	if err := m.DropContext(1); err != nil {
		t.Fatal(err)
	}
	h.expect("+CGEV: NW PDN DEACT 1")
	if err := m.DropContext(1); err == nil {
		t.Fatal("dropping an inactive context succeeded")
	}
}

func TestContextsPersistOnEG25Only(t *testing.T) {
	for _, p := range []*Profile{&EG25G, &Generic} {
		t.Run(p.Name, func(t *testing.T) {
			checkLeaks(t)
			cfg := fastConfig()
			cfg.Profile = p
			cfg.RegisterDelay = time.Hour // no LTE attach defines a context behind our back
			m, line := startModem(t, cfg)
			h := openHost(t, line.Link())
			if p.Quectel {
				h.boot()
			} else {
				h.cmd("E0", "ATE0", "OK")
			}
			h.cmd("+CFUN=0;+CGDCONT=2;+CGDCONT=3", "OK")
			h.cmd(`+CGDCONT=1,"IP","mehfooz.corp"`, "OK")
			m.Reboot()
			if p.Quectel {
				h.boot()
				h.cmd("+CGDCONT?", `+CGDCONT: 1,"IP","mehfooz.corp","0.0.0.0",0,0,0,0`, "OK")
			} else {
				h.cmd("E0", "ATE0", "OK")
				h.cmd("+CFUN=0;+CGDCONT?", "OK")
			}
		})
	}
}

func TestEmptyAPNGetsThePublicInternet(t *testing.T) {
	checkLeaks(t)
	cfg := fastConfig()
	cfg.Profile = &Generic
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.cmd("E0", "ATE0", "OK")
	waitStatus(t, m, "registration", func(s Status) bool { return s.Stat[epsDomain] == 1 })
	h.cmd("+CGCONTRDP=1",
		`+CGCONTRDP: 1,5,"jazzconnect.mobilinkworld.com.mnc001.mcc410.gprs","100.65.1.3.255.255.255.0","100.65.1.1","100.65.0.53","100.65.0.54"`,
		`+CGCONTRDP: 1,5,"jazzconnect.mobilinkworld.com.mnc001.mcc410.gprs","253.0.4.16.0.1.0.1.0.0.0.0.0.0.0.3.255.255.255.255.255.255.255.255.0.0.0.0.0.0.0.0"`,
		"OK")
}
