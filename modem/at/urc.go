package at

import (
	"strings"
	"time"
)

// URC is an unsolicited result code, or the alarm the queue raises about
// them (Storm set, the other fields empty).
type URC struct {
	Name string    // "+CEREG", "RING", "RDY": the line up to its colon
	Line string    // the whole line
	PDU  string    // the line after +CMT, +CDS or +CBM (TS 27.005 §3.4.1, PDU mode)
	At   time.Time // when the engine read it
	// Merged counts the earlier URCs of the same kind (a registration or a
	// signal report) that this one replaced while they waited in the queue:
	// a consumer that counts cell changes can add it.
	Merged int
	Storm  *Storm
}

// Storm reports URCs arriving faster than the consumer, or the modem, should
// produce them: a firmware fault, or a network pushing the handset around.
type Storm struct {
	Dropped int // URCs dropped, oldest first, because the queue was full
	Rate    int // URCs in the last second when the rate alarm fired, else 0
}

// urcSpec describes a known URC.
type urcSpec struct {
	trailing int // lines that belong to it (the PDU of +CMT)
	// coalesce: a newer one replaces a queued one. Only for reports where
	// the latest state is what matters.
	coalesce bool
}

// urcs are the URCs the engine routes when no command claims the line. The
// sources are TS 27.007 (registration §7.2/§10.1.20/§10.1.22, calls §6/§7,
// +CGEV §10.1.19, +CIEV §8.10), TS 27.005 §3.4.1 (+CMT, +CMTI, +CDS, +CBM)
// and the Quectel EC2x/EG25 boot and SIM reports.
var urcs = map[string]urcSpec{
	"RING": {}, "+CRING": {}, "+CLIP": {}, "+CCWA": {}, "NO CARRIER": {},
	"+CMT": {trailing: 1}, "+CDS": {trailing: 1}, "+CBM": {trailing: 1},
	"+CMTI": {}, "+CDSI": {},
	"+CREG": {coalesce: true}, "+CGREG": {coalesce: true}, "+CEREG": {coalesce: true}, "+C5GREG": {coalesce: true},
	"+CSQ": {coalesce: true}, "+CESQ": {coalesce: true}, "+CSCON": {coalesce: true}, "+CIEV": {coalesce: true},
	"+CGEV": {}, "+CUSD": {}, "+CTZV": {}, "+CTZE": {}, "+CNEC_EMM": {}, "+CNEC_ESM": {},
	"+CPIN": {}, "+CFUN": {}, "RDY": {}, "POWERED DOWN": {},
	"+QIND": {}, "+QUSIM": {}, "+QSIMSTAT": {}, "+QNETDEVSTATUS": {},
}

// urcName is the name a line would have as a URC: the text before the colon
// of a "+XXX: ..." line, or the whole line ("RING", "NO CARRIER").
func urcName(line string) string {
	if i := strings.IndexByte(line, ':'); i > 0 {
		return strings.TrimSpace(line[:i])
	}
	return strings.TrimSpace(line)
}

// coalesceKey says which queued URC a new one replaces; "" for none. Signal
// reports that share a name but not a meaning (+CIEV indicators, +QIND
// reports) are keyed by their first field too.
func coalesceKey(name, line string) string {
	spec, ok := urcs[name]
	if name == "+QIND" {
		if strings.HasPrefix(strings.TrimSpace(line[len(name)+1:]), `"csq"`) {
			return `+QIND: "csq"`
		}
		return ""
	}
	if !ok || !spec.coalesce {
		return ""
	}
	if name == "+CIEV" {
		f := fields(line[len(name)+1:])
		if len(f) > 0 {
			return name + ":" + f[0]
		}
	}
	return name
}

// regFamily are the registration reports whose solicited and unsolicited
// forms share a prefix.
var regFamily = map[string]bool{"+CREG": true, "+CGREG": true, "+CEREG": true, "+C5GREG": true}

// regSolicited tells the read response of a registration query from the URC
// (TS 27.007 §7.2, §10.1.20, §10.1.22, §10.1.36). The response starts with
// <n>,<stat>; the URC starts with <stat> and, if it has more fields, goes on
// with a quoted or empty <lac>/<tac>. So the response is the line whose
// second field is a bare number.
func regSolicited(line string) bool {
	i := strings.IndexByte(line, ':')
	if i < 0 {
		return false
	}
	f := fields(line[i+1:])
	if len(f) < 2 {
		return false
	}
	return isDigits(f[0]) && isDigits(f[1]) && len(f[1]) <= 2
}

// fields splits a parameter list at the commas outside double quotes and
// trims the spaces around each field (quotes are kept).
func fields(s string) []string {
	var out []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
