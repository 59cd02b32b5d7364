package policy

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

const good = `{
  "networks": [
    {"plmn": "41001", "apn": "gov.secure.jazz", "pdp_type": "IPV4V6"},
    {"plmn": "41004", "apn": "mehfooz.zong", "auth": "chap", "user": "h1", "password": "s3cret", "rats": ["LTE", "UMTS"]},
    {"plmn": "41006", "apn": "corp.telenor.pk", "serving": ["41007"]}
  ],
  "rats": ["LTE"]
}`

func TestLoad(t *testing.T) {
	c, err := LoadBytes([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	n, ok := c.For("41004")
	if !ok || n.APN != "mehfooz.zong" || n.AuthCode() != 2 || n.PDP() != "IP" {
		t.Fatalf("For(41004) = %+v, %v", n, ok)
	}
	if got := c.AllowedRATs(n); !slices.Equal(got, []string{"LTE", "UMTS"}) {
		t.Errorf("AllowedRATs = %v", got)
	}
	j, _ := c.For("41001")
	if got := c.AllowedRATs(j); !slices.Equal(got, []string{"LTE"}) {
		t.Errorf("default RATs = %v", got)
	}
	if got := (Config{}).AllowedRATs(Network{}); !slices.Equal(got, []string{"LTE"}) {
		t.Errorf("empty config RATs = %v, want LTE only", got)
	}
	if _, ok := c.For("41005"); ok {
		t.Error("an unprovisioned operator has a network")
	}
	tel, _ := c.For("41006")
	if !tel.Allows("41006") || !tel.Allows("41007") || tel.Allows("41001") {
		t.Error("Allows")
	}
	if strings.Contains(n.String(), "s3cret") {
		t.Errorf("String() shows the password: %s", n)
	}
}

func TestLoadRejects(t *testing.T) {
	for name, js := range map[string]string{
		"unknown field":     `{"networks": [], "apn": "x"}`,
		"trailing data":     `{"networks": []} {}`,
		"not json":          `networks`,
		"GSM":               `{"rats": ["GSM"]}`,
		"GSM per network":   `{"networks": [{"plmn": "41001", "apn": "a.b", "rats": ["LTE","GSM"]}]}`,
		"unknown RAT":       `{"rats": ["5G"]}`,
		"public APN":        `{"networks": [{"plmn": "41004", "apn": "zonginternet"}]}`,
		"public APN case":   `{"networks": [{"plmn": "41003", "apn": "Ufone.Internet"}]}`,
		"empty APN":         `{"networks": [{"plmn": "41004", "apn": ""}]}`,
		"bad APN":           `{"networks": [{"plmn": "41004", "apn": "a\",1;+CFUN=0"}]}`,
		"foreign PLMN":      `{"networks": [{"plmn": "310260", "apn": "a.b"}]}`,
		"bad PLMN":          `{"networks": [{"plmn": "410x1", "apn": "a.b"}]}`,
		"duplicate":         `{"networks": [{"plmn": "41004", "apn": "a.b"}, {"plmn": "41004", "apn": "c.d"}]}`,
		"bad pdp":           `{"networks": [{"plmn": "41004", "apn": "a.b", "pdp_type": "PPP"}]}`,
		"bad auth":          `{"networks": [{"plmn": "41004", "apn": "a.b", "auth": "eap"}]}`,
		"auth without user": `{"networks": [{"plmn": "41004", "apn": "a.b", "auth": "pap"}]}`,
		"user without auth": `{"networks": [{"plmn": "41004", "apn": "a.b", "user": "u"}]}`,
		"bad serving":       `{"networks": [{"plmn": "41004", "apn": "a.b", "serving": ["4100"]}]}`,
	} {
		if _, err := LoadBytes([]byte(js)); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: err = %v, want ErrConfig", name, err)
		}
	}
}

func TestLookup(t *testing.T) {
	for plmn, want := range map[string]string{
		"41001": "Jazz", "41003": "Ufone", "41004": "Zong", "41005": "SCO", "41006": "Telenor", "41007": "Jazz (Warid)",
		"41008": "Unknown PK 410-08", "310260": "Foreign 310-260", "": "Unknown",
	} {
		op, ok := Lookup(plmn)
		if op.Name != want || ok != !strings.HasPrefix(want, "Unknown") && !strings.HasPrefix(want, "Foreign") {
			t.Errorf("Lookup(%q) = %+v, %v; want %q", plmn, op, ok, want)
		}
	}
	for _, p := range Operators() {
		if _, ok := Lookup(p); !ok {
			t.Errorf("Operators() lists %s, which Lookup does not know", p)
		}
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(`{"networks":[{"plmn":"41001","apn":"x"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := LoadBytes(b)
		if err != nil {
			if !errors.Is(err, ErrConfig) {
				t.Fatalf("error %v does not wrap ErrConfig", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("loaded config fails Validate: %v", err)
		}
		for _, n := range c.Networks {
			for _, r := range c.AllowedRATs(n) {
				if r == "GSM" {
					t.Fatal("GSM allowed")
				}
			}
		}
	})
}
