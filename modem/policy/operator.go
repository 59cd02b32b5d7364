package policy

// Operator is a mobile network the handset may meet.
type Operator struct {
	PLMN string // MCC+MNC, e.g. "41001"
	Name string // what the UI shows
}

// operators are the Pakistani networks (MCC 410) in service, by PLMN.
// 410-07 was Warid, merged into Jazz in 2017; its SIMs and cells still
// carry the code.
var operators = map[string]string{
	"41001": "Jazz",
	"41003": "Ufone",
	"41004": "Zong",
	"41005": "SCO",
	"41006": "Telenor",
	"41007": "Jazz (Warid)",
}

// PakistanMCC is the mobile country code of Pakistan.
const PakistanMCC = "410"

// Lookup names the network with the given PLMN. ok is false for a network
// not in the table; the name then says what is known ("Unknown PK 410-08",
// or "Foreign 310-260"), so the UI and the alerts always have something to
// show.
func Lookup(plmn string) (op Operator, ok bool) {
	if name, ok := operators[plmn]; ok {
		return Operator{PLMN: plmn, Name: name}, true
	}
	if len(plmn) < 5 {
		return Operator{PLMN: plmn, Name: "Unknown"}, false
	}
	label := "Foreign "
	if plmn[:3] == PakistanMCC {
		label = "Unknown PK "
	}
	return Operator{PLMN: plmn, Name: label + plmn[:3] + "-" + plmn[3:]}, false
}

// Operators returns the known operators' PLMNs in ascending order.
func Operators() []string {
	return []string{"41001", "41003", "41004", "41005", "41006", "41007"}
}
