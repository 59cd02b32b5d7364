package sim

import (
	"fmt"
	"strconv"
)

// Card is a SIM card. A Modem copies the card it is given, so a test can
// keep and reuse its value; Modem.Status reports the live retry counters.
type Card struct {
	ICCID string // 19 or 20 digits, the last a Luhn check digit
	IMSI  string // MCC, MNC and MSIN, 15 digits
	PIN   string
	PUK   string
	// PINEnabled is the PIN lock (AT+CLCK="SC"): the card asks for its PIN
	// at every power-up.
	PINEnabled bool
	// PINRetries counts the PIN attempts left; 0 means the card wants its
	// PUK. PUKRetries counts the PUK attempts left; 0 means blocked for good.
	PINRetries int
	PUKRetries int
}

// NewCard returns a card of the operator plmn ("41004") with a PIN lock
// disabled, full retry counters and identities derived from serial, so two
// cards of one operator differ.
func NewCard(plmn string, serial int) Card {
	if !validPLMN(plmn) {
		panic(fmt.Sprintf("sim.NewCard: bad PLMN %q", plmn))
	}
	msin := fmt.Sprintf("%010d", 3000000000+serial)
	if len(plmn) == 6 {
		msin = msin[1:]
	}
	// ICCID (ITU-T E.118): 89, the country code (92 for Pakistan, 971 for
	// the UAE), an issuer number, the account, and a Luhn check digit.
	cc := "92"
	if plmn[:3] != "410" {
		cc = "971"
	}
	body := "89" + cc + plmn[3:] + fmt.Sprintf("%012d", 400000000000+serial)
	body = body[:18]
	return Card{
		ICCID:      body + luhn(body),
		IMSI:       plmn + msin,
		PIN:        "0000",
		PUK:        fmt.Sprintf("%08d", 12345678+serial%1000),
		PINRetries: 3,
		PUKRetries: 10,
	}
}

// WithPIN returns the card with its PIN set to pin and the lock enabled.
func (c Card) WithPIN(pin string) Card {
	c.PIN = pin
	c.PINEnabled = true
	return c
}

// HomePLMN is the PLMN of the card's IMSI. Pakistani and most networks
// use two-digit MNCs; the simulator assumes so.
func (c Card) HomePLMN() string {
	if len(c.IMSI) < 5 {
		return ""
	}
	return c.IMSI[:5]
}

// luhn returns the check digit that makes digits+check pass the Luhn test.
func luhn(digits string) string {
	sum := 0
	double := true
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return strconv.Itoa((10 - sum%10) % 10)
}

func validDigits(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// SIMState is the state +CPIN reports.
type SIMState int

// The SIM states.
const (
	SIMAbsent  SIMState = iota // +CME ERROR: 10
	SIMBusy                    // +CME ERROR: 14, while the card initialises
	SIMPIN                     // +CPIN: SIM PIN
	SIMPUK                     // +CPIN: SIM PUK
	SIMReady                   // +CPIN: READY
	SIMBlocked                 // PUK attempts exhausted: +CME ERROR: 13
)

func (s SIMState) String() string {
	switch s {
	case SIMAbsent:
		return "absent"
	case SIMBusy:
		return "busy"
	case SIMPIN:
		return "pin"
	case SIMPUK:
		return "puk"
	case SIMReady:
		return "ready"
	case SIMBlocked:
		return "blocked"
	}
	return "SIMState(" + strconv.Itoa(int(s)) + ")"
}
