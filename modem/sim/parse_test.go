package sim

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		in   string
		want []command
	}{
		{"", nil},
		{"E0", []command{{name: "E", args: []arg{{text: "0"}}}}},
		{"e0v1", []command{{name: "E", args: []arg{{text: "0"}}}, {name: "V", args: []arg{{text: "1"}}}}},
		{"E0V1+CMEE=1", []command{
			{name: "E", args: []arg{{text: "0"}}},
			{name: "V", args: []arg{{text: "1"}}},
			{name: "+CMEE", op: opSet, args: []arg{{text: "1"}}},
		}},
		{"I", []command{{name: "I"}}},
		{"&C1", []command{{name: "&C", args: []arg{{text: "1"}}}}},
		{"S3?", []command{{name: "S3", op: opRead}}},
		{"S07=50", []command{{name: "S7", op: opSet, args: []arg{{text: "50"}}}}},
		{"+CSQ", []command{{name: "+CSQ"}}},
		{"+creg?", []command{{name: "+CREG", op: opRead}}},
		{"+CREG=?", []command{{name: "+CREG", op: opTest}}},
		{"+COPS=3,2;+COPS?", []command{
			{name: "+COPS", op: opSet, args: []arg{{text: "3"}, {text: "2"}}},
			{name: "+COPS", op: opRead},
		}},
		{`+CGDCONT=1,"IPV4V6","corp.apn"`, []command{
			{name: "+CGDCONT", op: opSet, args: []arg{{text: "1"}, {text: "IPV4V6", quoted: true}, {text: "corp.apn", quoted: true}}},
		}},
		{`+CGAUTH=1,1,"u\22s\5Cr","p w"`, []command{
			{name: "+CGAUTH", op: opSet, args: []arg{{text: "1"}, {text: "1"}, {text: `u"s\r`, quoted: true}, {text: "p w", quoted: true}}},
		}},
		{"+CGDCONT=2", []command{{name: "+CGDCONT", op: opSet, args: []arg{{text: "2"}}}}},
		{"+CNMI=2,,0", []command{{name: "+CNMI", op: opSet, args: []arg{{text: "2"}, {}, {text: "0"}}}}},
		{" + C S Q", nil}, // a space inside a name is not allowed
		{`+QCFG="nwscanmode",3,1`, []command{
			{name: "+QCFG", op: opSet, args: []arg{{text: "nwscanmode", quoted: true}, {text: "3"}, {text: "1"}}},
		}},
		{"D+923001234567;", []command{{name: "D", args: []arg{{text: "+923001234567;"}}}}},
		{"+CHUP;H", []command{{name: "+CHUP"}, {name: "H"}}},
	}
	for _, tt := range tests {
		got, err := parseLine(tt.in)
		if tt.in == " + C S Q" {
			if err == nil {
				t.Errorf("parseLine(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseLine(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseLine(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseLineErrors(t *testing.T) {
	for _, in := range []string{
		`+CGDCONT=1,"IP`,       // unterminated string
		`+CGDCONT=1,"\4"`,      // short escape
		`+CGDCONT=1,"\ZZ"`,     // not hex
		`+CGDCONT=1,IP"x"`,     // quote inside a bare word
		`+CGDCONT=1,"IP"x`,     // junk after a string
		`+CREG?2`,              // junk after a read
		`+=1`,                  // no name
		`S`,                    // S-parameter without number
		`S3`,                   // S-parameter without ? or =
		`&`,                    // & without letter
		`?`,                    // not a command
		`+CSQ+CSQ`,             // extended commands need ';'
		`S1234=1`,              // S-parameter number too long
		"+CGDCONT=1,\"IP\",\"", // string runs off the end
	} {
		if got, err := parseLine(in); err == nil {
			t.Errorf("parseLine(%q) = %v, want an error", in, got)
		}
	}
}

// FuzzParseLine checks that the command-line parser never panics and that
// what it parses prints back to a line that parses the same.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"", "E0V1", `+CGDCONT=1,"IPV4V6","a\22b"`, "+COPS=3,2;+COPS?", "S3=13", "D*99#",
		`+QCFG="nwscanmode",3,1`, "+CNMI=2,,0,,", "&F;Z", "+CREG=?", `+X=,"",`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cmds, err := parseLine(s)
		if err != nil {
			return
		}
		again, err := parseLine(formatLine(cmds))
		if err != nil {
			t.Fatalf("parseLine(%q) ok, but its formatting %q fails: %v", s, formatLine(cmds), err)
		}
		if !reflect.DeepEqual(cmds, again) {
			t.Fatalf("round trip of %q via %q: %#v != %#v", s, formatLine(cmds), cmds, again)
		}
	})
}

func TestQuote(t *testing.T) {
	tests := map[string]string{
		"":              `""`,
		"corp.apn":      `"corp.apn"`,
		`a"b\c`:         `"a\22b\5Cc"`,
		"tab\tnl\n\xff": `"tab\09nl\0A\FF"`,
	}
	for in, want := range tests {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
		back, _, err := parseString(want, 1)
		if err != nil || back != in {
			t.Errorf("parseString(%s) = %q, %v; want %q", want, back, err, in)
		}
	}
}

// FuzzExec runs fuzzed command lines through every command handler of
// both profiles: whatever the host sends, the modem answers and never
// panics.
func FuzzExec(f *testing.F) {
	for _, s := range []string{
		`+CGDCONT=1,"IPV4V6","x";+CGACT=1,1;+CGPADDR=1;+CGCONTRDP`, `+COPS=1,2,"41004",7`, `+COPS=?`,
		`+CPIN="1234","5678"`, `+CLCK="SC",1,"0000"`, `+QCFG="nwscanmode",3,1`, `+QENG="servingcell"`,
		`+CMGS=20`, `+CNMI=2,2,0,0,0;+CPMS="SM","ME","MT";+CMGD=0,4;+CMGL=4`, `+CRSM=176,12258,0,0,10`,
		`+CREG=3;+CEREG=5;+CGREG=4;+CFUN=1,1`, `S3=13;S3?;E1V0Q1`, `+WS46=28;+CEMODE=0;+CTZR=2`, `+CGAUTH=1,2,"u","p"`,
		`+QURCCFG="urcport","all"`, `+QPINC="SC"`, `+QPOWD=1`, `+CLIP=1;+CRC=1;+CLCC;A;H;+CHUP`,
	} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, line string, generic bool) {
		cmds, err := parseLine(line)
		if err != nil {
			return
		}
		cfg, _ := fakeConfig()
		if generic {
			cfg.Profile = &Generic
		}
		m, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		m.powerOn()
		m.camp()
		for _, c := range cmds {
			r := m.exec(c)
			if r.settle != nil {
				r.final = r.settle()
			}
			for _, l := range r.info {
				if strings.ContainsAny(l, "\r\n") {
					t.Fatalf("%s: information line %q has a line break", c, l)
				}
			}
			if r.then != nil {
				r.then()
			}
		}
	})
}
