// Package state is the handset's observable state and the intents that change
// it. The daemon publishes one typed stream of Snapshots to its UI and, as
// JSON, to phonectl over the local API; the UI and phonectl send Intents back.
// Neither side holds call or key logic: they render a Snapshot and ask.
//
// Enumerations are strings, not iota, because they cross the local socket and
// must keep their meaning across versions.
package state

import "time"

// Snapshot is everything a screen or a technician can see of the handset at
// one instant. Seq increases by one with every change.
type Snapshot struct {
	Seq      uint64    `json:"seq"`
	At       time.Time `json:"at"`
	Board    string    `json:"board"`
	DeviceID string    `json:"device_id,omitempty"`
	Lock     Lock      `json:"lock"`
	Modem    Modem     `json:"modem"`
	Link     Link      `json:"link"`
	Contacts []Contact `json:"contacts"`
	Call     Call      `json:"call"`
	Alerts   []Alert   `json:"alerts"`
	Battery  *Battery  `json:"battery,omitempty"` // nil when the board reports none
}

// Lock is the keystore's lock screen state. A duress PIN is never visible
// here: after one, the handset looks exactly as after a wrong or right PIN.
type Lock struct {
	Locked      bool `json:"locked"`
	WrongPINs   int  `json:"wrong_pins"`   // consecutive failures since the last success
	MaxAttempts int  `json:"max_attempts"` // the keystore wipes at this count
	Wiped       bool `json:"wiped"`        // the keystore was wiped; the handset needs a technician
	// Setup is true on a new handset: the first PIN entered becomes the PIN.
	Setup bool `json:"setup,omitempty"`
}

// ModemPhase is the modem state machine's state.
type ModemPhase string

const (
	ModemOff         ModemPhase = "off"
	ModemBooting     ModemPhase = "booting"
	ModemConfiguring ModemPhase = "configuring"
	ModemSIMCheck    ModemPhase = "sim-check"
	ModemSearching   ModemPhase = "searching"
	ModemRegistered  ModemPhase = "registered"
	ModemDataUp      ModemPhase = "data-up"
	ModemRecovering  ModemPhase = "recovering"
)

// SIMState is what +CPIN reports, reduced to what the handset acts on.
type SIMState string

const (
	SIMUnknown SIMState = ""
	SIMAbsent  SIMState = "absent"
	SIMPIN     SIMState = "pin"
	SIMPUK     SIMState = "puk"
	SIMReady   SIMState = "ready"
)

// Modem is what a technician needs from the cellular side. ICCID and IMSI are
// masked before they enter a Snapshot: the UI and phonectl never see them whole.
type Modem struct {
	Phase    ModemPhase `json:"phase"`
	SIM      SIMState   `json:"sim"`
	ICCID    string     `json:"iccid,omitempty"` // masked, e.g. 8992********1234
	IMSI     string     `json:"imsi,omitempty"`  // masked, e.g. 41001*******123
	PLMN     string     `json:"plmn,omitempty"`  // MCC-MNC of the serving network, e.g. "41001"
	Operator string     `json:"operator,omitempty"`
	RAT      string     `json:"rat,omitempty"` // "LTE", "UMTS", "GSM"
	Bars     int        `json:"bars"`          // 0..5
	RSSIdBm  int        `json:"rssi_dbm"`      // 0 when unknown
	APN      string     `json:"apn,omitempty"` // the provisioned private APN in use
	IP       string     `json:"ip,omitempty"`  // address of the data context
	Detail   string     `json:"detail,omitempty"`
}

// Link is the connection to the exchange.
type Link struct {
	Connected bool      `json:"connected"`
	Exchange  string    `json:"exchange,omitempty"`
	Since     time.Time `json:"since,omitzero"`
	Group     string    `json:"group,omitempty"` // negotiated TLS key-exchange group, e.g. X25519MLKEM768
	Directory uint64    `json:"directory"`       // version of the directory held
	Revoked   uint64    `json:"revoked"`         // version of the revocation list held
	// Detail says why the link is down: connecting, or the exchange's
	// reason for refusing this handset.
	Detail string `json:"detail,omitempty"`
}

// Contact is one whitelisted handset from the signed directory.
type Contact struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Office   string `json:"office,omitempty"`
	Rank     string `json:"rank,omitempty"`
	Online   bool   `json:"online"`
	Callable bool   `json:"callable"` // the directory policy allows us to call it
}

// CallPhase is the call state machine's state.
type CallPhase string

const (
	CallIdle      CallPhase = "idle"
	CallDialing   CallPhase = "dialing"   // invite sent, no answer yet
	CallRinging   CallPhase = "ringing"   // the callee's handset is ringing
	CallIncoming  CallPhase = "incoming"  // our handset is ringing
	CallConnected CallPhase = "connected" // media flows
	CallOnHold    CallPhase = "on-hold"
	CallEnded     CallPhase = "ended"
)

// Call is the single call a handset can have.
type Call struct {
	Phase    CallPhase `json:"phase"`
	ID       string    `json:"id,omitempty"`
	PeerID   string    `json:"peer_id,omitempty"`
	PeerName string    `json:"peer_name,omitempty"`
	Outgoing bool      `json:"outgoing"`
	Since    time.Time `json:"since,omitzero"` // when the phase began
	// SAS is the short authentication string both screens show once
	// connected; SASVerdict is what the user said about it.
	SAS        string     `json:"sas,omitempty"`
	SASVerdict SASVerdict `json:"sas_verdict,omitempty"`
	Muted      bool       `json:"muted"`
	Quality    Quality    `json:"quality"`
	// EndReason says why the last call ended: declined, busy, unreachable,
	// hung-up, or "security: <the check that failed>".
	EndReason string `json:"end_reason,omitempty"`
}

// SASVerdict is the user's answer to "does the code match?".
type SASVerdict string

const (
	SASUnconfirmed SASVerdict = ""
	SASMatch       SASVerdict = "match"
	SASMismatch    SASVerdict = "mismatch"
)

// Quality is the call's link quality from RTCP and the jitter buffer.
type Quality struct {
	RTTms       float64 `json:"rtt_ms"`
	LossPct     float64 `json:"loss_pct"`
	JitterMs    float64 `json:"jitter_ms"`
	BitrateKbps float64 `json:"bitrate_kbps"`
	Bars        int     `json:"bars"` // 0..5, derived for the in-call screen
}

// Severity orders alerts; Critical ones take the whole screen until acknowledged.
type Severity string

const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

// AlertKind names the condition an alert reports.
type AlertKind string

const (
	AlertSIM         AlertKind = "sim"          // absent, PIN needed, PUK needed, swapped
	AlertNoService   AlertKind = "no-service"   // not registered or no data bearer
	AlertBaseband    AlertKind = "baseband"     // 2G downgrade, unexpected PLMN, cell churn, reject, resets, SMS/RING
	AlertRevokedPeer AlertKind = "revoked-peer" // a contact was revoked (a call with it was ended)
	AlertPinnedKey   AlertKind = "pinned-key"   // a contact's certificate changed without a directory entry
	AlertSASMismatch AlertKind = "sas-mismatch" // a user said the codes differ
	AlertExchange    AlertKind = "exchange"     // lost or refused link to the exchange
	AlertKeystore    AlertKind = "keystore"     // wrong PINs, wipe
	AlertCallRefused AlertKind = "call-refused" // a call failed a security check (the end reason names it)
)

// Alert is one condition that the user must see.
type Alert struct {
	ID       string    `json:"id"`
	Kind     AlertKind `json:"kind"`
	Severity Severity  `json:"severity"`
	Title    string    `json:"title"`
	Text     string    `json:"text"`
	At       time.Time `json:"at"`
	Acked    bool      `json:"acked"`
}

// Battery is reported by boards that have a fuel gauge.
type Battery struct {
	Percent  int  `json:"percent"`
	Charging bool `json:"charging"`
}
