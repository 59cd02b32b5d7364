package modem

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"mehfooz/modem/info"
)

// Event is what the modem reports as it happens. The concrete types are
// PhaseChanged, SIMChanged, RegistrationChanged, DataChanged, Alert and
// ModemReset.
type Event interface{ isEvent() }

// PhaseChanged reports a move of the state machine.
type PhaseChanged struct {
	From, To Phase
	Detail   string
}

// SIMChanged reports a new SIM state or identity. Identities are masked.
type SIMChanged struct {
	State   SIMState
	ICCID   string
	IMSI    string
	Swapped bool // a different SIM than the one seen before in this boot
}

// RegistrationChanged reports a change of the network registration.
type RegistrationChanged struct {
	Stat info.RegStat
	PLMN string // serving network, "" if unknown
	AcT  info.AcT
	Area uint32 // TAC or LAC
	Cell uint64
}

// DataChanged reports the private-APN data context going up or down.
type DataChanged struct {
	Up     bool
	APN    string
	Addr   netip.Addr
	DNS    []netip.Addr
	Reason string // why it went down
}

// ModemReset reports that the modem rebooted or was reset.
type ModemReset struct {
	Reason string // "rdy", "echo", "hang-up", "timeouts", "cfun", "reset-line", "power-cycle" ...
	Count  int    // resets in the last hour, this one included
}

// AlertKind names the condition an alert reports.
type AlertKind string

const (
	AlertDowngrade     AlertKind = "downgrade"       // the modem registered on, or reported, 2G
	AlertUnexpectedNet AlertKind = "unexpected-plmn" // a network the SIM's policy does not allow
	AlertCellChurn     AlertKind = "cell-churn"      // many cell changes in a short time
	AlertReject        AlertKind = "reject"          // the network rejected us with a telling cause
	AlertResets        AlertKind = "modem-resets"    // repeated modem resets
	AlertIncomingCall  AlertKind = "incoming-call"   // a call was offered and hung up
	AlertSMS           AlertKind = "sms"             // a silent, flash or SIM-download SMS
	AlertURCStorm      AlertKind = "urc-storm"       // the modem floods us with reports
	AlertSIM           AlertKind = "sim"             // absent, PUK, PIN refused, swapped
	AlertNoData        AlertKind = "no-data"         // no provisioning, or a context on the wrong APN
	AlertModemDead     AlertKind = "modem-dead"      // recovery gave up for now
)

// Severity orders alerts.
type Severity string

const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// Alert is a condition the user or a technician must see, with the evidence
// that raised it.
type Alert struct {
	ID       string
	Kind     AlertKind
	Severity Severity
	Title    string
	Evidence []string
	At       time.Time
}

func (a Alert) String() string {
	return fmt.Sprintf("%s %s: %s [%s]", a.Severity, a.Kind, a.Title, strings.Join(a.Evidence, "; "))
}

func (PhaseChanged) isEvent()        {}
func (SIMChanged) isEvent()          {}
func (RegistrationChanged) isEvent() {}
func (DataChanged) isEvent()         {}
func (ModemReset) isEvent()          {}
func (Alert) isEvent()               {}
