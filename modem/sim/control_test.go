package sim

import (
	"bufio"
	"context"
	"errors"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseControl(t *testing.T) {
	tests := []struct {
		in   string
		want Control
	}{
		{"status", Control{Op: "status"}},
		{"transcript 20", Control{Op: "transcript", N: 20}},
		{"unplug", Control{Op: "unplug"}},
		{"unplug keep", Control{Op: "unplug", Flag: true}},
		{"power off", Control{Op: "power-off"}},
		{"sim insert 41004 pin 1234", Control{Op: "sim-insert", PLMN: "41004", PIN: "1234"}},
		{"sim swap 42402", Control{Op: "sim-swap", PLMN: "42402"}},
		{"cells 41004:lte 41001:gsm", Control{Op: "cells", Cells: []CellSpec{{"41004", LTE}, {"41001", GSM}}}},
		{"reg deny 15", Control{Op: "reg-deny", N: 15}},
		{"churn 5 1.5s", Control{Op: "churn", N: 5, Dur: 1500 * time.Millisecond}},
		{"ring +923001234567 3", Control{Op: "ring", Number: "+923001234567", N: 3}},
		{"sms class0 +923001234567 hello there", Control{Op: "sms", Name: "class0", Number: "+923001234567", Text: "hello there"}},
		{"sms type0 03001234567", Control{Op: "sms", Name: "type0", Number: "03001234567"}},
		{"storm 10000 5000", Control{Op: "storm", N: 10000, Rate: 5000}},
		{"garbage 70000 nonl", Control{Op: "garbage", N: 70000}},
		{"delay +COPS 3s", Control{Op: "delay", Name: "+COPS", Dur: 3 * time.Second}},
		{"delay * 500ms 2", Control{Op: "delay", Dur: 500 * time.Millisecond, N: 2}},
		{"delay clear", Control{Op: "delay-clear"}},
		{"pdp drop 1", Control{Op: "pdp-drop", N: 1}},
		{`urc +QIND: "csq",20,99`, Control{Op: "urc", Text: `+QIND: "csq",20,99`}},
	}
	for _, tt := range tests {
		got, err := ParseControl(tt.in)
		if err != nil {
			t.Errorf("ParseControl(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseControl(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if s := got.String(); s != tt.in {
			t.Errorf("ParseControl(%q).String() = %q", tt.in, s)
		}
	}
}

func TestParseControlErrors(t *testing.T) {
	for _, in := range []string{
		"", " status", "status ", "status  ", "Status", "status now", "bogus",
		"transcript 0", "transcript 01", "transcript -1", "transcript x",
		"unplug now", "power", "power up",
		"sim", "sim eject", "sim insert", "sim insert 4100", "sim insert 41004 pin", "sim insert 41004 pin 12",
		"sim insert 41004 puk 12345678", "sim pull now",
		"cells 41004", "cells 41004:5g", "cells x:lte",
		"reg deny", "reg deny 0", "reg deny 256", "reg up",
		"churn 5", "churn 5 1", "churn 5 -1s", "churn 5 1h", "churn 5 1.50s",
		"ring", "ring abc", "ring 12 0",
		"sms", "sms spam 123", "sms normal", "sms normal x1",
		"storm", "storm 0", "storm 10 0", "storm 10000000",
		"garbage 10", "garbage 10 maybe", "garbage 0 nl",
		"delay", "delay +cops 1s", "delay +COPS", "delay D 1s", "delay +COPS? 1s", "delay +COPS 1s 0",
		"pdp", "pdp drop", "pdp drop 16", "pdp up 1",
		"urc", "urc ",
		"status\x00", "status\t", "ring 123\x7f", strings.Repeat("x", MaxControlLine+1),
	} {
		if c, err := ParseControl(in); err == nil {
			t.Errorf("ParseControl(%q) = %+v, want an error", in, c)
		} else if !errors.Is(err, errControl) {
			t.Errorf("ParseControl(%q): error %v does not wrap errControl", in, err)
		}
	}
}

// FuzzParseControl checks that the control parser never panics, accepts
// only printable lines, and that what it accepts prints back to itself.
func FuzzParseControl(f *testing.F) {
	for _, s := range []string{
		"status", "sim insert 41004 pin 1234", "cells 41004:lte 41001:gsm", "churn 5 1.5s",
		"sms class0 +923001234567 hello there", "delay * 500ms 2", "urc +CEREG: 1", "garbage 10 nl",
		"storm 100 10", "ring 123 2", "transcript 9", "unplug keep",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseControl(s)
		if err != nil {
			return
		}
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] > 0x7e {
				t.Fatalf("accepted a control byte in %q", s)
			}
		}
		again, err := ParseControl(c.String())
		if err != nil {
			t.Fatalf("ParseControl(%q) ok, but %q fails: %v", s, c.String(), err)
		}
		if !reflect.DeepEqual(c, again) {
			t.Fatalf("round trip of %q: %+v != %+v", s, c, again)
		}
	})
}

// startControl serves m's control socket until the test ends.
func startControl(t *testing.T, m *Modem) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ctl.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := ServeControl(ctx, ln, m, nil); err != nil {
			t.Errorf("ServeControl: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return path
}

func TestControlSocket(t *testing.T) {
	checkLeaks(t)
	cfg, _ := fakeConfig()
	m, line := startModem(t, cfg)
	h := openHost(t, line.Link())
	h.boot()
	waitStatus(t, m, "registration", func(s Status) bool { return s.Stat[epsDomain] == 1 })
	sock := startControl(t, m)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	send := func(req string) []string {
		t.Helper()
		data, err := SendControl(ctx, sock, req)
		if err != nil {
			t.Fatalf("%s: %v", req, err)
		}
		return data
	}
	if st := strings.Join(send("status"), "\n"); !strings.Contains(st, "power: on") || !strings.Contains(st, "cell: 41001 LTE") {
		t.Fatalf("status:\n%s", st)
	}
	if help := send("help"); len(help) < 5 {
		t.Fatalf("help: %q", help)
	}
	h.cmd("+CEREG=1;+CLIP=0;+CRC=0;+CNMI=2,2,0,0,0", "OK")
	send("ring +923001234567 2")
	h.expect("RING")
	h.cmd("+CHUP", "OK")
	send("sms type0 +923001234567")
	if l := h.line(); !strings.HasPrefix(l, "+CMT: ,") {
		t.Fatalf("got %q, want +CMT", l)
	}
	h.line()
	send("reg deny 15")
	h.expect("+CEREG: 3")
	send("reg accept")
	h.expect("+CEREG: 2", "+CEREG: 1")
	send("urc +QIND: \"csq\",20,99")
	h.expect(`+QIND: "csq",20,99`)
	send("garbage 10 nl")
	h.line()
	send("storm 3")
	h.expect("+CEREG: 1", "+CEREG: 5", "+CEREG: 1", "+CEREG: 1")
	send("delay +CSQ 1ms 1")
	send("delay clear")
	send("sim pull")
	h.expect("+CPIN: NOT INSERTED", "+CEREG: 0")
	data := send("sim insert 41004")
	if len(data) != 1 || !strings.HasPrefix(data[0], "iccid 89920") {
		t.Fatalf("sim insert: %q", data)
	}
	h.expect("+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE", "+CEREG: 2", "+CEREG: 5")
	send("cells 41004:lte 41001:gsm")
	h.expect("+CEREG: 2", "+CEREG: 1")
	send("downgrade")
	h.expect("+CEREG: 2", "+CEREG: 0")
	send("reg lose")
	h.expect("+CEREG: 2")
	if tr := send("transcript 3"); len(tr) != 3 {
		t.Fatalf("transcript 3: %q", tr)
	}
	send("reboot")
	h.boot()
	send("hang")
	send("power on")
	h.boot()
	send("unplug keep")
	h.hungUp()

	// Errors come back as ErrControlFailed; the connection stays usable.
	if _, err := SendControl(ctx, sock, "pdp drop 5"); !errors.Is(err, ErrControlFailed) {
		t.Fatalf("pdp drop of an undefined context: %v", err)
	}
	if _, err := SendControl(ctx, sock, "bogus"); err == nil || errors.Is(err, ErrControlFailed) {
		t.Fatalf("a malformed request was sent: %v", err)
	}
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	conn.Write([]byte("bogus\r\nstatus\n"))
	if l, _ := r.ReadString('\n'); !strings.HasPrefix(l, "err bad control request: unknown request") {
		t.Fatalf("got %q", l)
	}
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("status on the same connection: %v", err)
		}
		if l == "ok\n" {
			break
		}
	}
	// A line past the bound ends the connection.
	conn.Write([]byte(strings.Repeat("x", 2*MaxControlLine) + "\n"))
	if l, _ := r.ReadString('\n'); !strings.Contains(l, "longer than") {
		t.Fatalf("got %q", l)
	}
	if _, err := r.ReadString('\n'); err == nil {
		t.Fatal("the connection survived an overlong line")
	}
}
