package info

import "strings"

// SIMState is what +CPIN reports (TS 27.007 §8.3), reduced to what the
// handset acts on.
type SIMState int

const (
	SIMReady    SIMState = iota // READY: no password needed
	SIMPIN                      // SIM PIN
	SIMPUK                      // SIM PUK: the PIN is blocked
	SIMAbsent                   // NOT INSERTED (a common vendor reply, and +CME ERROR: 10)
	SIMLocked                   // PH-SIM, PH-NET ... personalisation or PIN2/PUK2 codes
	SIMNotReady                 // NOT READY, or the SIM is busy starting up
)

func (s SIMState) String() string {
	switch s {
	case SIMReady:
		return "ready"
	case SIMPIN:
		return "pin"
	case SIMPUK:
		return "puk"
	case SIMAbsent:
		return "absent"
	case SIMLocked:
		return "locked"
	case SIMNotReady:
		return "not-ready"
	}
	return "unknown"
}

// CPIN is a parsed +CPIN line.
type CPIN struct {
	State SIMState
	Code  string // the <code> as sent, e.g. "SIM PIN"
}

// ParseCPIN parses "+CPIN: <code>" (TS 27.007 §8.3), from the read command
// or the URC a Quectel modem sends at boot and on SIM hot-plug.
func ParseCPIN(line string) (CPIN, error) {
	b, err := body(line, "+CPIN")
	if err != nil {
		return CPIN{}, err
	}
	code := strings.ToUpper(unquote(b))
	c := CPIN{Code: code}
	switch code {
	case "READY":
		c.State = SIMReady
	case "SIM PIN":
		c.State = SIMPIN
	case "SIM PUK":
		c.State = SIMPUK
	case "NOT INSERTED", "SIM NOT INSERTED", "NOT PRESENT":
		c.State = SIMAbsent
	case "NOT READY", "SIM BUSY":
		c.State = SIMNotReady
	case "SIM PIN2", "SIM PUK2", "PH-SIM PIN", "PH-FSIM PIN", "PH-FSIM PUK",
		"PH-NET PIN", "PH-NET PUK", "PH-NETSUB PIN", "PH-NETSUB PUK",
		"PH-SP PIN", "PH-SP PUK", "PH-CORP PIN", "PH-CORP PUK":
		c.State = SIMLocked
	default:
		return CPIN{}, syntaxErr("unknown +CPIN code", line)
	}
	return c, nil
}
