package sim

import (
	"context"
	"testing"
)

// TestPipeLine runs the command interpreter over an in-memory pipe: the
// same framing, parsing and answers as on a pty, with no kernel involved.
func TestPipeLine(t *testing.T) {
	checkLeaks(t)
	cfg, _ := fakeConfig()
	cfg.Profile = &Generic
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPipe()
	if err := m.Start(p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	conn, err := p.Host(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := newHost(t, conn)
	h.send("E0")
	h.raw("ATE0\r\r\nOK\r\n")
	h.cmd("+CMEE=1;+CGMI;+CGMM", "Mehfooz", "SIM27007", "OK")
	h.cmd(`+CGDCONT=1,"IP","a\22b";+CGDCONT?`, `+CGDCONT: 1,"IP","a\22b","",0,0`, "OK")
	h.cmd(`+CGDCONT=1,"X25"`, "+CME ERROR: 50")
	h.cmd("+CGDCONT=1", "+CME ERROR: 3") // the LTE attach made it active
	h.cmd("+UNKNOWN=?", "ERROR")
	h.cmd("+CREG=?;+CGREG=?;+CEREG=?", "+CREG: (0-3)", "+CGREG: (0-5)", "+CEREG: (0-5)", "OK")
	// An unplug closes the pipe; the modem offers the next one.
	if err := m.Unplug(false); err != nil {
		t.Fatal(err)
	}
	h.hungUp()
	conn2, err := p.Host(ctx)
	if err != nil {
		t.Fatal(err)
	}
	newHost(t, conn2).cmd("+CMEE?", "+CMEE: 1", "OK")
}
