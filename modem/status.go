package modem

import (
	"slices"
	"time"
)

// Phase is the state machine's state. The values are those of the daemon's
// state stream (daemon/state.ModemPhase).
type Phase string

const (
	PhaseOff         Phase = "off"
	PhaseBooting     Phase = "booting"
	PhaseConfiguring Phase = "configuring"
	PhaseSIMCheck    Phase = "sim-check"
	PhaseSearching   Phase = "searching"
	PhaseRegistered  Phase = "registered"
	PhaseDataUp      Phase = "data-up"
	PhaseRecovering  Phase = "recovering"
)

// SIMState is the SIM as the handset acts on it. The first five values are
// those of daemon/state.SIMState; "locked" (a personalisation or PIN2 code)
// and "not-ready" are kept apart here for the technician.
type SIMState string

const (
	SIMUnknown  SIMState = ""
	SIMAbsent   SIMState = "absent"
	SIMPIN      SIMState = "pin"
	SIMPUK      SIMState = "puk"
	SIMReady    SIMState = "ready"
	SIMLocked   SIMState = "locked"
	SIMNotReady SIMState = "not-ready"
)

// Status is a snapshot of the modem for the UI and a technician. ICCID and
// IMSI are masked.
type Status struct {
	Phase     Phase
	SIM       SIMState
	ICCID     string
	IMSI      string
	Home      string // the SIM's home PLMN
	PLMN      string // the serving network
	Operator  string // its name
	RAT       string // "LTE", "UMTS", "GSM", "NR"
	Bars      int    // 0 to 5
	SignaldBm int    // RSRP on LTE, RSSI otherwise; 0 if unknown
	APN       string // the provisioned private APN in use
	IP        string // the data context's address
	Model     string // manufacturer and model, e.g. "Quectel EG25"
	Revision  string
	Detail    string // what the modem waits for, or why it stopped
	Resets    int    // modem resets in the last hour
	Alerts    []Alert
	Since     time.Time // when Phase began
}

// maxAlerts bounds Status.Alerts: the newest are kept.
const maxAlerts = 16

func (s Status) clone() Status {
	s.Alerts = slices.Clone(s.Alerts)
	return s
}
