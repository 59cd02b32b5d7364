package sim

import (
	"testing"
	"time"

	"mehfooz/clock"
)

// fakeConfig is fastConfig on a fake clock, with nothing scheduled ahead
// of time: the test moves time itself.
func fakeConfig() (Config, *clock.Fake) {
	fake := clock.NewFake(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC))
	cfg := fastConfig()
	cfg.Clock = fake
	cfg.SIMInitDelay, cfg.RegisterDelay, cfg.ScanDelay = 0, 0, 0
	cfg.RingInterval = 3 * time.Second
	return cfg, fake
}

func TestIncomingCall(t *testing.T) {
	checkLeaks(t)
	cfg, fake := fakeConfig()
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	waitStatus(t, m, "registration", func(s Status) bool { return s.Stat[epsDomain] == 1 })
	h.cmd("+CLIP=1;+CRC=0", "OK")
	h.cmd("+CLIP?", "+CLIP: 1,1", "OK")
	if err := m.Ring("+923001234567", 3); err != nil {
		t.Fatal(err)
	}
	h.expect("RING", `+CLIP: "+923001234567",145,"",0,"",0`)
	if err := m.Ring("+923001234568", 3); err == nil {
		t.Fatal("a second call rang during the first")
	}
	h.cmd("+CLCC", `+CLCC: 1,1,4,0,0,"+923001234567",145`, "OK")
	blockUntil(t, fake, 1)
	fake.Advance(3 * time.Second)
	h.expect("RING", `+CLIP: "+923001234567",145,"",0,"",0`)
	if s := m.Status(); s.Ringing != "+923001234567" {
		t.Fatalf("ringing %q", s.Ringing)
	}
	h.cmd("+CHUP", "OK")
	h.cmd("+CLCC", "OK")
	if s := m.Status(); s.Ringing != "" || s.Stats.CallsHungUp != 1 {
		t.Fatalf("after +CHUP: ringing %q, %+v", s.Ringing, s.Stats)
	}

	// +CRC=1: +CRING; the caller gives up after two rings: NO CARRIER.
	h.cmd("+CRC=1;+CLIP=0", "OK")
	if err := m.Ring("03001234567", 2); err != nil {
		t.Fatal(err)
	}
	h.expect("+CRING: VOICE")
	blockUntil(t, fake, 1)
	fake.Advance(3 * time.Second)
	h.expect("+CRING: VOICE")
	blockUntil(t, fake, 1)
	fake.Advance(3 * time.Second)
	h.expect("NO CARRIER")
	if s := m.Status(); s.Stats.CallsMissed != 1 {
		t.Fatalf("missed %d, want 1", s.Stats.CallsMissed)
	}

	// ATA answers (the daemon never does); ATH ends it.
	if err := m.Ring("12345", 5); err != nil {
		t.Fatal(err)
	}
	h.expect("+CRING: VOICE")
	h.cmd("A", "OK")
	h.cmd("+CLCC", `+CLCC: 1,1,0,0,0,"12345",129`, "OK")
	h.cmd("H", "OK")
	h.cmd("A", "NO CARRIER")
	h.cmd("D+923001234567;", "NO CARRIER")
}
