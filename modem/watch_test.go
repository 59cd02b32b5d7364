package modem

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"mehfooz/modem/info"
)

var t0 = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func reg(t *testing.T, line string) info.Reg {
	t.Helper()
	r, err := info.ParseReg(line)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestWatchDowngradeOncePerEpisode(t *testing.T) {
	w := newWatch()
	a := w.registration(t0, reg(t, `+CEREG: 1,"00C3","0000A13F",0`), 0)
	if len(a) != 1 || a[0].Kind != AlertDowngrade || a[0].Severity != Critical {
		t.Fatalf("alerts %+v", a)
	}
	if a := w.registration(t0, reg(t, `+CGREG: 1,"00C3","0000A13F",3`), 0); len(a) != 0 {
		t.Fatalf("second report of the same episode alerted: %+v", a)
	}
	w.registration(t0, reg(t, `+CEREG: 1,"1A2B","01ABCDEF",7`), 0) // back on LTE
	if a := w.registration(t0, reg(t, `+CEREG: 1,"00C3","0000A13F",0`), 0); len(a) != 1 {
		t.Fatalf("a new episode did not alert: %+v", a)
	}
	if a := w.serving(t0, "41001", info.AcTGSM, true); len(a) != 0 {
		t.Fatalf("+COPS in the same episode alerted: %+v", a)
	}
}

func TestWatchRejectCauses(t *testing.T) {
	w := newWatch()
	a := w.registration(t0, reg(t, `+CEREG: 3,"1A2B","01ABCDEF",7,0,7`), 0)
	if len(a) != 1 || a[0].Severity != Critical || !strings.Contains(a[0].Title, "EPS services not allowed") {
		t.Fatalf("alerts %+v", a)
	}
	if a := w.registration(t0, reg(t, `+CEREG: 3,"1A2B","01ABCDEF",7,0,7`), 0); len(a) != 0 {
		t.Fatalf("the same cause alerted twice: %+v", a)
	}
	if a := w.registration(t0, reg(t, `+CEREG: 3,"1A2B","01ABCDEF",7,0,15`), 0); len(a) != 1 || a[0].Severity != Warning {
		t.Fatalf("cause 15: %+v", a)
	}
	if a := w.registration(t0, reg(t, `+CEREG: 3,"1A2B","01ABCDEF",7,1,7`), 0); len(a) != 1 || a[0].Severity != Info {
		t.Fatalf("a vendor cause: %+v", a)
	}
	if a := w.registration(t0, reg(t, `+CEREG: 3`), 0); len(a) != 1 || a[0].Severity != Warning {
		t.Fatalf("denied without a cause: %+v", a)
	}
}

func TestWatchCellChurn(t *testing.T) {
	w := newWatch()
	cell := func(i int, at time.Time, merged int) []Alert {
		return w.registration(at, reg(t, fmt.Sprintf(`+CEREG: 1,"1A2B","%07X",7`, 0x100+i)), merged)
	}
	for i := range 5 { // the first cell, then 5 changes in 50 s: under the limit of 6
		if a := cell(i, t0.Add(time.Duration(i)*10*time.Second), 0); len(a) != 0 {
			t.Fatalf("change %d alerted: %+v", i, a)
		}
	}
	a := cell(5, t0.Add(60*time.Second), 0)
	if len(a) != 0 {
		t.Fatalf("5 changes alerted: %+v", a)
	}
	a = cell(6, t0.Add(70*time.Second), 0)
	if len(a) != 1 || a[0].Kind != AlertCellChurn || len(a[0].Evidence) != 6 {
		t.Fatalf("6th change: %+v", a)
	}
	if a := cell(7, t0.Add(80*time.Second), 0); len(a) != 0 {
		t.Fatalf("churn alerted twice: %+v", a)
	}
	// Changes spread over more than the window are no churn.
	w = newWatch()
	for i := range 12 {
		if a := cell(i%8, t0.Add(time.Duration(i)*2*time.Minute), 0); len(a) != 0 {
			t.Fatalf("slow changes alerted at %d: %+v", i, a)
		}
	}
	// Coalesced URCs count: two changes that stand for 6.
	w = newWatch()
	cell(0, t0, 0)
	if a := cell(1, t0.Add(time.Second), 4); len(a) != 0 {
		t.Fatalf("%+v", a)
	}
	if a := cell(2, t0.Add(2*time.Second), 0); len(a) != 1 {
		t.Fatalf("coalesced changes not counted: %+v", a)
	}
}

func TestWatchServing(t *testing.T) {
	w := newWatch()
	if a := w.serving(t0, "41001", info.AcTEUTRAN, true); len(a) != 0 {
		t.Fatalf("%+v", a)
	}
	a := w.serving(t0, "41004", info.AcTEUTRAN, false)
	if len(a) != 1 || a[0].Severity != Warning {
		t.Fatalf("another Pakistani network: %+v", a)
	}
	if a := w.serving(t0, "41004", info.AcTEUTRAN, false); len(a) != 0 {
		t.Fatalf("alerted twice: %+v", a)
	}
	if a := w.serving(t0, "310260", info.AcTEUTRAN, false); len(a) != 1 || a[0].Severity != Critical {
		t.Fatalf("a foreign network: %+v", a)
	}
}

func TestWatchResets(t *testing.T) {
	w := newWatch()
	if n, a := w.reset(t0, "rdy", true); n != 1 || a != nil {
		t.Fatal(n, a)
	}
	if n, a := w.reset(t0.Add(10*time.Minute), "cfun", false); n != 2 || a != nil {
		t.Fatal(n, a)
	}
	if n, a := w.reset(t0.Add(20*time.Minute), "rdy", true); n != 3 || len(a) != 1 || a[0].Kind != AlertResets {
		t.Fatal(n, a)
	}
	if n, _ := w.reset(t0.Add(3*time.Hour), "rdy", true); n != 1 {
		t.Fatalf("old resets still counted: %d", n)
	}
}

func TestWatchSMS(t *testing.T) {
	w := newWatch()
	for _, c := range []struct {
		d    info.Deliver
		sev  Severity
		none bool
	}{
		{info.Deliver{PID: 0x40, DCS: info.DecodeDCS(0)}, Critical, false},
		{info.Deliver{PID: 0x7f, DCS: info.DecodeDCS(0xf6)}, Critical, false},
		{info.Deliver{DCS: info.DecodeDCS(0x10)}, Warning, false},
		{info.Deliver{DCS: info.DecodeDCS(0xc0)}, Warning, false},
		{info.Deliver{DCS: info.DecodeDCS(0)}, "", true},
	} {
		a, ok := w.sms(t0, c.d)
		if ok == c.none || ok && a.Severity != c.sev {
			t.Errorf("%+v: %+v %v", c.d, a, ok)
		}
	}
}
