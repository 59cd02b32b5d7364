package sim

import (
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/warthog618/sms"
	"github.com/warthog618/sms/encoding/pdumode"
	"github.com/warthog618/sms/encoding/tpdu"
)

// decodeCMT checks a +CMT header and PDU with an independent decoder.
func decodeCMT(t *testing.T, header, pdu string) *tpdu.TPDU {
	t.Helper()
	p, err := pdumode.UnmarshalHexString(pdu)
	if err != nil {
		t.Fatalf("PDU %s: %v", pdu, err)
	}
	if want := fmt.Sprintf("+CMT: ,%d", len(p.TPDU)); header != want {
		t.Fatalf("header %q, want %q", header, want)
	}
	if p.SMSC.Number() != smsc {
		t.Errorf("SMSC %q, want %q", p.SMSC.Number(), smsc)
	}
	d, err := sms.Unmarshal(p.TPDU, sms.AsMT)
	if err != nil {
		t.Fatalf("TPDU %X: %v", p.TPDU, err)
	}
	if d.SmsType() != tpdu.SmsDeliver {
		t.Fatalf("TPDU type %v, want SMS-DELIVER", d.SmsType())
	}
	return d
}

func TestSMSDelivery(t *testing.T) {
	checkLeaks(t)
	m, line := startModem(t, fastConfig())
	h := openHost(t, line.Link())
	h.boot()
	h.cmd("+CMEE=1;+CSMS=1", "+CSMS: 1,1,1", "OK")
	h.cmd("+CMGF=0;+CNMI=2,2,0,0,0", "OK")
	h.cmd("+CNMI?", "+CNMI: 2,2,0,0,0", "OK")
	h.cmd(`+CPMS="ME","ME","ME"`, "+CPMS: 0,180,0,180,0,180", "OK")
	h.cmd("+CNMA", "+CMS ERROR: 340")
	waitStatus(t, m, "registration", func(s Status) bool { return s.Stat[epsDomain] == 1 })
	tests := []struct {
		kind     SMSKind
		text     string
		pid, dcs byte
		class    tpdu.MessageClass
	}{
		{SMSNormal, "Hello @ $5_ok?", 0x00, 0x00, -1},
		{SMSType0, "", 0x40, 0x00, -1},
		{SMSClass0, "flash", 0x00, 0x10, tpdu.MClass0},
	}
	for _, tt := range tests {
		if err := m.SMS("+923001234567", tt.kind, tt.text); err != nil {
			t.Fatal(err)
		}
		d := decodeCMT(t, h.line(), h.line())
		if d.PID != tt.pid || byte(d.DCS) != tt.dcs {
			t.Errorf("%s: PID %#x DCS %#x, want %#x %#x", tt.kind, d.PID, byte(d.DCS), tt.pid, tt.dcs)
		}
		if tt.class >= 0 {
			if c, err := d.DCS.Class(); err != nil || c != tt.class {
				t.Errorf("%s: class %v %v, want %v", tt.kind, c, err, tt.class)
			}
		}
		if d.OA.Number() != "+923001234567" || d.OA.TypeOfNumber() != tpdu.TonInternational {
			t.Errorf("%s: sender %q", tt.kind, d.OA.Number())
		}
		text, err := sms.Decode([]*tpdu.TPDU{d})
		if err != nil || string(text) != tt.text {
			t.Errorf("%s: text %q %v, want %q", tt.kind, text, err, tt.text)
		}
		h.cmd("+CNMA", "OK")
	}
	if s := m.Status(); s.Stats.SMSDelivered != 3 || s.Stats.SMSAcked != 3 {
		t.Fatalf("stats %+v", s.Stats)
	}

	// Stored and indicated: +CMTI, then listed and purged.
	h.cmd("+CNMI=2,1,0,0,0", "OK")
	if err := m.SMS("03001234567", SMSNormal, "stored"); err != nil {
		t.Fatal(err)
	}
	h.expect(`+CMTI: "ME",0`)
	h.cmd("+CPMS?", `+CPMS: "ME",1,180,"ME",1,180,"ME",1,180`, "OK")
	h.send("+CMGL=4")
	if got := h.line(); !strings.HasPrefix(got, "+CMGL: 0,0,,") {
		t.Fatalf("got %q, want a +CMGL entry", got)
	}
	h.line()
	h.expect("OK")
	h.cmd("+CMGD=0,4", "OK")
	if n := m.Stored("ME"); n != 0 {
		t.Fatalf("%d messages left after +CMGD=0,4", n)
	}
	h.cmd("+CMGD=180", "+CMS ERROR: 321")
	h.cmd(`+CPMS="XX"`, "+CMS ERROR: 302")

	// Text mode.
	h.cmd("+CMGF=1;+CNMI=2,2,0,0,0", "OK")
	if err := m.SMS("+923001234567", SMSNormal, "plain"); err != nil {
		t.Fatal(err)
	}
	if got := h.line(); !strings.HasPrefix(got, `+CMT: "+923001234567",,"`) || !strings.HasSuffix(got, `+20"`) {
		t.Fatalf("text-mode header %q", got)
	}
	h.expect("plain")
	h.cmd("+CNMA", "OK")
}

func TestCMGSPrompt(t *testing.T) {
	checkLeaks(t)
	m, line := startModem(t, fastConfig())
	h := openHost(t, line.Link())
	h.boot()
	waitStatus(t, m, "registration", func(s Status) bool { return s.Stat[epsDomain] == 1 })
	pdu := "00" + "01000C91923200214365000005E8329BFD06"
	b, _ := hex.DecodeString(pdu)
	h.cmd("+CMEE=1;+CMGF=0", "OK")
	h.send(fmt.Sprintf("+CMGS=%d", len(b)-1))
	h.expect("> ")
	h.write(pdu + "\x1a")
	h.expect("+CMGS: 1", "OK")
	// ESC abandons the message.
	h.send("+CMGS=5")
	h.expect("> ")
	h.write("0011\x1b")
	h.expect("OK")
	// A PDU whose length is not the one announced.
	h.send("+CMGS=9")
	h.expect("> ")
	h.write("0011\x1a")
	h.expect("+CMS ERROR: 304")
	if s := m.Status(); s.Stats.SMSSent != 1 {
		t.Fatalf("sent %d, want 1", s.Stats.SMSSent)
	}
}

func TestSMSNeedsRegistration(t *testing.T) {
	checkLeaks(t)
	cfg := fastConfig()
	cfg.RegisterDelay = time.Hour
	m, line := startModem(t, cfg)
	openHost(t, line.Link()).boot()
	if err := m.SMS("+923001234567", SMSType0, ""); err == nil {
		t.Fatal("an SMS reached a modem that is not registered")
	}
	if err := m.SMS("not a number", SMSNormal, ""); err == nil {
		t.Fatal("an SMS from a bad number was delivered")
	}
}
