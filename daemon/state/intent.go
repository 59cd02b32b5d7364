package state

// IntentKind names what a user or technician asks the daemon to do.
type IntentKind string

const (
	IntentUnlock     IntentKind = "unlock"    // PIN
	IntentLock       IntentKind = "lock"      //
	IntentDial       IntentKind = "dial"      // ContactID
	IntentAnswer     IntentKind = "answer"    //
	IntentReject     IntentKind = "reject"    //
	IntentHangUp     IntentKind = "hang-up"   //
	IntentHold       IntentKind = "hold"      // On
	IntentMute       IntentKind = "mute"      // On
	IntentSASVerdict IntentKind = "sas"       // Match
	IntentAckAlert   IntentKind = "ack-alert" // AlertID
	// IntentChangePIN sets a new PIN and IntentSetDuressPIN the duress PIN
	// (PIN is the new one); both need the screen unlocked.
	IntentChangePIN    IntentKind = "change-pin"     // PIN
	IntentSetDuressPIN IntentKind = "set-duress-pin" // PIN
	// IntentSetSIMPIN stores the SIM card's PIN in the keystore, where the
	// modem takes it once per boot (3GPP TS 27.007 +CPIN); it needs the
	// screen unlocked. It is the one intent the bench line takes.
	IntentSetSIMPIN IntentKind = "set-sim-pin" // PIN
)

// Intent is one request from the UI or phonectl. Only the fields its Kind
// names are read. PIN is a secret: the daemon zeroizes the Intent after use
// and never logs it.
type Intent struct {
	Kind      IntentKind `json:"kind"`
	PIN       []byte     `json:"pin,omitempty"`
	ContactID string     `json:"contact_id,omitempty"`
	On        bool       `json:"on,omitempty"`
	Match     bool       `json:"match,omitempty"`
	AlertID   string     `json:"alert_id,omitempty"`
}

// Wipe zeroizes the secret fields of the Intent.
func (i *Intent) Wipe() {
	for k := range i.PIN {
		i.PIN[k] = 0
	}
	i.PIN = nil
}
