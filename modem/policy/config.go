package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"mehfooz/modem/at"
)

// Config is the cellular provisioning of a handset, written by a technician
// and loaded with Load. A SIM whose home PLMN has no Network entry gets no
// data at all: the handset never falls back to a public APN.
type Config struct {
	Networks []Network `json:"networks"`
	// RATs lists the radio technologies allowed by default: "LTE" and
	// optionally "UMTS". "GSM" is refused: 2G lets a false base station
	// switch ciphering off. Empty means LTE only.
	RATs []string `json:"rats,omitempty"`
}

// Network is the private data service of one operator.
type Network struct {
	PLMN string `json:"plmn"` // home PLMN of the SIM, e.g. "41004"
	APN  string `json:"apn"`  // the operator's private APN for the secure handsets
	// PDPType is "IP", "IPV6" or "IPV4V6" (TS 27.007 §10.1.1); empty means "IP".
	PDPType string `json:"pdp_type,omitempty"`
	// Auth is "none" (or empty), "pap" or "chap" (TS 27.007 §10.1.31 +CGAUTH).
	Auth     string `json:"auth,omitempty"`
	User     string `json:"user,omitempty"`
	Password string `json:"password,omitempty"`
	// RATs overrides Config.RATs for this operator (e.g. UMTS where its LTE
	// coverage is thin).
	RATs []string `json:"rats,omitempty"`
	// Serving lists other PLMNs the handset may use this SIM's data on
	// (national roaming agreements); the home PLMN is always allowed.
	Serving []string `json:"serving,omitempty"`
}

// publicAPNs are the public internet and MMS APNs that the
// mobile-broadband-provider-info database lists for Pakistan, and the generic
// names any operator uses for its internet service. A provisioning that names
// one is refused: it would route the handset to the internet.
var publicAPNs = []string{
	"connect.mobilinkworld.com", "jazzconnect.mobilinkworld.com",
	"ufone.internet", "ufone.mms", "zonginternet", "zongmms", "warid",
	"internet", "wap", "mms",
}

// ErrConfig is wrapped by every provisioning error.
var ErrConfig = errors.New("cellular provisioning")

// Load reads a Config as JSON, strictly: unknown fields, trailing data and
// invalid values are errors.
func Load(r io.Reader) (Config, error) {
	var c Config
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	var rest json.RawMessage
	if err := dec.Decode(&rest); err != io.EOF {
		return Config{}, fmt.Errorf("%w: data after the configuration object", ErrConfig)
	}
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// LoadBytes is Load on a byte slice.
func LoadBytes(b []byte) (Config, error) { return Load(bytes.NewReader(b)) }

// Validate checks every field.
func (c Config) Validate() error {
	if err := checkRATs(c.RATs); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, n := range c.Networks {
		if err := n.validate(); err != nil {
			return fmt.Errorf("%w: network %d (%s): %w", ErrConfig, i, n.PLMN, err)
		}
		if seen[n.PLMN] {
			return fmt.Errorf("%w: network %s listed twice", ErrConfig, n.PLMN)
		}
		seen[n.PLMN] = true
	}
	return nil
}

func (n Network) validate() error {
	if !isPLMN(n.PLMN) || n.PLMN[:3] != PakistanMCC {
		return fmt.Errorf("plmn %q: want a Pakistani MCC-MNC such as 41004", n.PLMN)
	}
	if err := at.CheckAPN(n.APN); err != nil {
		return err
	}
	if slices.Contains(publicAPNs, strings.ToLower(n.APN)) {
		return fmt.Errorf("APN %q is a public internet or MMS APN", n.APN)
	}
	switch n.PDPType {
	case "", "IP", "IPV6", "IPV4V6":
	default:
		return fmt.Errorf("pdp_type %q: want IP, IPV6 or IPV4V6", n.PDPType)
	}
	switch n.Auth {
	case "", "none":
		if n.User != "" || n.Password != "" {
			return errors.New("user or password without auth")
		}
	case "pap", "chap":
		if n.User == "" {
			return fmt.Errorf("auth %s without a user", n.Auth)
		}
	default:
		return fmt.Errorf("auth %q: want none, pap or chap", n.Auth)
	}
	if len(n.User) > 64 || len(n.Password) > 64 {
		return errors.New("user or password over 64 characters")
	}
	if err := checkRATs(n.RATs); err != nil {
		return err
	}
	for _, p := range n.Serving {
		if !isPLMN(p) {
			return fmt.Errorf("serving PLMN %q", p)
		}
	}
	return nil
}

func checkRATs(rats []string) error {
	for _, r := range rats {
		switch r {
		case "LTE", "UMTS":
		case "GSM":
			return fmt.Errorf("%w: rats: GSM is never allowed (2G has no mutual authentication)", ErrConfig)
		default:
			return fmt.Errorf("%w: rats: %q: want LTE or UMTS", ErrConfig, r)
		}
	}
	return nil
}

func isPLMN(s string) bool {
	if len(s) != 5 && len(s) != 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// For returns the provisioning for a SIM whose home PLMN is home.
func (c Config) For(home string) (Network, bool) {
	for _, n := range c.Networks {
		if n.PLMN == home {
			return n, true
		}
	}
	return Network{}, false
}

// AllowedRATs is the effective RAT set of n: its own, else the default,
// else LTE only.
func (c Config) AllowedRATs(n Network) []string {
	switch {
	case len(n.RATs) > 0:
		return n.RATs
	case len(c.RATs) > 0:
		return c.RATs
	}
	return []string{"LTE"}
}

// Allows reports whether data may run on the serving PLMN.
func (n Network) Allows(serving string) bool {
	return serving == n.PLMN || slices.Contains(n.Serving, serving)
}

// PDP returns the PDP type to configure.
func (n Network) PDP() string {
	if n.PDPType == "" {
		return "IP"
	}
	return n.PDPType
}

// AuthCode is the +CGAUTH <auth_prot>: 0 none, 1 PAP, 2 CHAP.
func (n Network) AuthCode() int {
	switch n.Auth {
	case "pap":
		return 1
	case "chap":
		return 2
	}
	return 0
}

// String never shows the password.
func (n Network) String() string {
	return fmt.Sprintf("%s apn=%s pdp=%s auth=%s", n.PLMN, n.APN, n.PDP(), cmp(n.Auth, "none"))
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
