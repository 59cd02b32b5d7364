package info

import "strings"

// CGEV is a packet domain event report (TS 27.007 §10.1.19), the URC
// AT+CGEREP=2,1 turns on.
type CGEV struct {
	Event string // "NW PDN DEACT", "ME DETACH", "NW MODIFY", "REJECT" ...
	CID   int    // the context the event concerns, -1 if none
	Args  []string
}

// NetworkInitiated reports whether the network, not our side, caused it.
func (e CGEV) NetworkInitiated() bool { return strings.HasPrefix(e.Event, "NW ") }

// Deactivation reports whether a context or the attach went away.
func (e CGEV) Deactivation() bool {
	return strings.HasSuffix(e.Event, " DEACT") || strings.HasSuffix(e.Event, " DETACH")
}

// cgevEvents maps each event to where its <cid> is among the arguments
// (-1: none). Longer names first, so "NW PDN DEACT" is not read as "NW DEACT".
var cgevEvents = []struct {
	name string
	cid  int
}{
	{"NW PDN ACT", 0}, {"ME PDN ACT", 0}, {"NW PDN DEACT", 0}, {"ME PDN DEACT", 0},
	{"PDN ACT", 0}, {"PDN DEACT", 0},
	{"NW ACT", 1}, {"ME ACT", 1}, // <p_cid>,<cid>,<event_type>
	{"NW DEACT", -2}, {"ME DEACT", -2}, // <PDP_type>,<PDP_addr>[,<cid>] or <p_cid>,<cid>,<event_type>
	{"NW MODIFY", 0}, {"ME MODIFY", 0},
	{"NW DETACH", -1}, {"ME DETACH", -1}, {"NW CLASS", -1}, {"ME CLASS", -1},
	{"NW REACT", 2}, {"REJECT", -1},
}

// ParseCGEV parses a "+CGEV: <event> [<args>]" URC.
func ParseCGEV(line string) (CGEV, error) {
	b, err := body(line, "+CGEV")
	if err != nil {
		return CGEV{}, err
	}
	up := strings.ToUpper(b)
	for _, ev := range cgevEvents {
		if up != ev.name && !strings.HasPrefix(up, ev.name+" ") {
			continue
		}
		e := CGEV{Event: ev.name, CID: -1}
		if rest := strings.TrimSpace(b[len(ev.name):]); rest != "" {
			if e.Args, err = fields(rest); err != nil {
				return CGEV{}, err
			}
			if len(e.Args) > 8 {
				return CGEV{}, syntaxErr("too many arguments", line)
			}
		}
		i := ev.cid
		if i == -2 { // the old form puts <cid> third, the new one second
			i = 2
			if len(e.Args) > 0 && isDigits(e.Args[0]) {
				i = 1
			}
		}
		if i >= 0 && i < len(e.Args) && e.Args[i] != "" {
			if e.CID, err = num(e.Args[i], 0, 255, "cid", line); err != nil {
				return CGEV{}, err
			}
		}
		return e, nil
	}
	return CGEV{}, syntaxErr("unknown +CGEV event", line)
}
