package at

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestQuote(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `""`},
		{"corp.mehfooz", `"corp.mehfooz"`},
		{`a"b`, `"a\22b"`},
		{`a\b`, `"a\5Cb"`},
		{"x\r\nAT+CFUN=0;", `"x\0D\0AAT+CFUN=0;"`},
		{"é", `"\C3\A9"`},
	} {
		if got := Quote(c.in); got != c.want {
			t.Errorf("Quote(%q) = %s, want %s", c.in, got, c.want)
		}
		if got := string(appendQuoted(nil, []byte(c.in))); got != c.want {
			t.Errorf("appendQuoted(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func FuzzQuote(f *testing.F) {
	f.Add("corp.apn")
	f.Add("\"\\\r\n\x00\xff")
	f.Fuzz(func(t *testing.T, s string) {
		q := Quote(s)
		inner := q[1 : len(q)-1]
		if q[0] != '"' || q[len(q)-1] != '"' || strings.Contains(inner, `"`) {
			t.Fatalf("Quote(%q) = %q breaks out of the string", s, q)
		}
		for i := 0; i < len(q); i++ {
			if q[i] < 0x20 || q[i] > 0x7e {
				t.Fatalf("Quote(%q) = %q has a non-printable byte", s, q)
			}
		}
		if got := unquoteV250(inner); got != s {
			t.Fatalf("round trip of %q gave %q", s, got)
		}
	})
}

// unquoteV250 reverses Quote, as a modem would.
func unquoteV250(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+2 < len(s) {
			var v byte
			for _, c := range []byte(s[i+1 : i+3]) {
				v <<= 4
				switch {
				case c >= '0' && c <= '9':
					v |= c - '0'
				case c >= 'A' && c <= 'F':
					v |= c - 'A' + 10
				}
			}
			b = append(b, v)
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func TestCheckAPN(t *testing.T) {
	for _, ok := range []string{"corp.jazz.pk", "gov-secure", "a", "x1.y2.z3", strings.Repeat("a", 63) + "." + strings.Repeat("b", 36)} {
		if err := CheckAPN(ok); err != nil {
			t.Errorf("CheckAPN(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{
		"", "corp..pk", ".corp", "corp.", "-corp", "corp-", "corp pk", `corp"`, "corp,1", "corp;+CFUN=0",
		"corp.mnc001.mcc410.gprs", strings.Repeat("a", 64), strings.Repeat("a.", 50) + "a", "é",
	} {
		if err := CheckAPN(bad); !errors.Is(err, ErrBadAPN) {
			t.Errorf("CheckAPN(%q) = %v, want ErrBadAPN", bad, err)
		}
	}
}

func TestDefaultTimeout(t *testing.T) {
	for line, want := range map[string]time.Duration{
		"AT+CSQ":          2 * time.Second,
		"AT+CFUN=1,1":     15 * time.Second,
		"at+cfun?":        15 * time.Second,
		"AT+COPS=?":       200 * time.Second,
		"AT+COPS=0":       180 * time.Second,
		"AT+COPS?":        2 * time.Second,
		"AT+CGACT=1,1":    150 * time.Second,
		"AT+CGATT?":       150 * time.Second,
		"AT+CMGS=23":      60 * time.Second,
		"ATD*99#":         60 * time.Second,
		`AT+CPIN="1234"`:  10 * time.Second,
		"AT+CPIN?":        2 * time.Second,
		"AT+CMGD=1,4":     30 * time.Second,
		"AT+QCFG=\"ims\"": 2 * time.Second,
	} {
		if got := DefaultTimeout(line); got != want {
			t.Errorf("DefaultTimeout(%q) = %v, want %v", line, got, want)
		}
	}
}

func TestParseCMEAndCMS(t *testing.T) {
	for _, c := range []struct {
		in   string
		code int
		text string
	}{
		{" 10", 10, "SIM not inserted"},
		{"14", 14, "SIM busy"},
		{"SIM busy", 14, "SIM busy"},
		{"sim PIN required", 11, "SIM PIN required"},
		{`"incorrect password"`, 16, "incorrect password"},
		{"999", 999, "unknown code"},
		{"Quectel private error", -1, "Quectel private error"},
		{"-3", -1, "-3"},
	} {
		e := ParseCME(c.in)
		if e.Code != c.code || e.Text != c.text {
			t.Errorf("ParseCME(%q) = %d %q, want %d %q", c.in, e.Code, e.Text, c.code, c.text)
		}
	}
	if e := ParseCMS("321"); e.Code != 321 || e.Text != "invalid memory index" {
		t.Errorf("ParseCMS(321) = %+v", e)
	}
	if e := ParseCMS("SMSC address unknown"); e.Code != 330 {
		t.Errorf("ParseCMS(verbose) = %+v", e)
	}
	if got := ParseCME("14").Error(); got != "+CME ERROR: 14 (SIM busy)" {
		t.Errorf("Error() = %q", got)
	}
}

func FuzzParseCME(f *testing.F) {
	for _, s := range []string{"10", "SIM busy", "", "99999999999999999999", "\"x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := ParseCME(s)
		if e.Code >= 0 {
			if e.Code > 65535 {
				t.Fatalf("code %d out of range", e.Code)
			}
		} else if e.Text == "" && strings.TrimSpace(strings.Trim(strings.TrimSpace(s), `"`)) != "" {
			t.Fatalf("verbose %q lost its text", s)
		}
		_ = ParseCMS(s).Error()
	})
}

func TestRegSolicited(t *testing.T) {
	for line, want := range map[string]bool{
		`+CREG: 2,1,"1A2B","01ABCDEF",7`:               true,
		`+CREG: 0,1`:                                   true,
		`+CEREG: 4,1,"1A2B","01ABCDEF",7,,,"00100100"`: true,
		`+CREG: 2,1,1A2B,01ABCDEF`:                     true,
		`+CREG: 1,"1A2B","01ABCDEF",7`:                 false,
		`+CREG: 5`:                                     false,
		`+CEREG: 1,,,7`:                                false,
		`+CREG: 1,1A2B,01ABCDEF`:                       false,
		`+CGREG: 3,"00C3","0000A13F",7,"01",0,15`:      false,
		`+CREG`: false,
	} {
		if got := regSolicited(line); got != want {
			t.Errorf("regSolicited(%q) = %v, want %v", line, got, want)
		}
	}
}
