package modem

import (
	"fmt"
	"time"

	"mehfooz/modem/info"
)

// watch turns baseband observations into security alerts. It is pure: each
// method takes the time of the observation and returns what to raise, so the
// thresholds are tested without a modem.
type watch struct {
	churnWindow time.Duration // cell changes counted over this window
	churnLimit  int           // this many changes in the window is churn
	resetWindow time.Duration
	resetLimit  int

	cell       cellSeen
	changes    []cellSeen // within churnWindow
	churnOn    bool
	downgraded bool
	resets     []time.Time
	lastReject int
	badPLMN    string
}

type cellSeen struct {
	at   time.Time
	area uint32
	cell uint64
	act  info.AcT
	n    int // changes this entry stands for (coalesced URCs)
}

func newWatch() *watch {
	return &watch{churnWindow: 5 * time.Minute, churnLimit: 6, resetWindow: time.Hour, resetLimit: 3, lastReject: -1}
}

// rejectCauses are the EMM/MM causes (TS 24.301 §9.9.3.9, TS 24.008
// §10.5.3.6) that a false base station sends to lock a handset out: causes
// 2 to 8 make the handset treat its SIM as invalid until it is switched off.
var rejectCauses = map[int]struct {
	text string
	sev  Severity
}{
	2:  {"IMSI unknown in HSS/HLR", Critical},
	3:  {"illegal UE", Critical},
	5:  {"IMEI not accepted", Critical},
	6:  {"illegal ME", Critical},
	7:  {"EPS services not allowed", Critical},
	8:  {"EPS and non-EPS services not allowed", Critical},
	11: {"PLMN not allowed", Warning},
	12: {"tracking area not allowed", Warning},
	13: {"roaming not allowed in this tracking area", Warning},
	14: {"EPS services not allowed in this PLMN", Warning},
	15: {"no suitable cells in tracking area", Warning},
}

// registration checks a registration report.
func (w *watch) registration(now time.Time, r info.Reg, merged int) []Alert {
	var out []Alert
	if r.AcT.Is2G() && (r.Stat.Registered() || r.Stat == info.RegDenied) {
		if a, ok := w.downgrade(now, fmt.Sprintf("%s stat=%s AcT=%d lac=%04X ci=%X", r.Cmd, r.Stat, r.AcT, r.Area, r.Cell)); ok {
			out = append(out, a)
		}
	} else if r.Stat.Registered() && r.AcT != info.AcTNone {
		w.downgraded = false
	}
	if r.Stat == info.RegDenied || r.RejectCause >= 0 {
		if a, ok := w.reject(now, r); ok {
			out = append(out, a)
		}
	} else if r.Stat.Registered() {
		w.lastReject = -1
	}
	if r.HasCell && r.Stat.Registered() {
		if a, ok := w.cellChange(now, r.Area, r.Cell, r.AcT, merged); ok {
			out = append(out, a)
		}
	}
	return out
}

// downgrade raises one alert per episode of 2G service.
func (w *watch) downgrade(now time.Time, evidence string) (Alert, bool) {
	if w.downgraded {
		return Alert{}, false
	}
	w.downgraded = true
	return Alert{Kind: AlertDowngrade, Severity: Critical, Title: "Network forced the phone to 2G", Evidence: []string{evidence}, At: now}, true
}

func (w *watch) reject(now time.Time, r info.Reg) (Alert, bool) {
	if r.RejectCause == w.lastReject {
		return Alert{}, false
	}
	w.lastReject = r.RejectCause
	ev := fmt.Sprintf("%s stat=%s cause_type=%d reject_cause=%d", r.Cmd, r.Stat, r.CauseType, r.RejectCause)
	if r.RejectCause < 0 {
		return Alert{Kind: AlertReject, Severity: Warning, Title: "Network refused registration", Evidence: []string{ev}, At: now}, true
	}
	c, ok := rejectCauses[r.RejectCause]
	if !ok || r.CauseType == 1 {
		return Alert{Kind: AlertReject, Severity: Info, Title: fmt.Sprintf("Network refused registration (cause %d)", r.RejectCause), Evidence: []string{ev}, At: now}, true
	}
	return Alert{Kind: AlertReject, Severity: c.sev, Title: "Network refused registration: " + c.text, Evidence: []string{ev}, At: now}, true
}

// cellChange records a serving-cell change and raises churn once the window
// holds churnLimit changes. merged counts changes the URC queue coalesced.
func (w *watch) cellChange(now time.Time, area uint32, cell uint64, act info.AcT, merged int) (Alert, bool) {
	seen := cellSeen{at: now, area: area, cell: cell, act: act, n: 1 + merged}
	if w.cell.at.IsZero() {
		w.cell = seen
		return Alert{}, false
	}
	if w.cell.area == area && w.cell.cell == cell {
		return Alert{}, false
	}
	w.cell = seen
	w.changes = append(w.changes, seen)
	n := 0
	kept := w.changes[:0]
	for _, c := range w.changes {
		if now.Sub(c.at) <= w.churnWindow {
			kept = append(kept, c)
			n += c.n
		}
	}
	w.changes = kept
	if n < w.churnLimit {
		w.churnOn = false
		return Alert{}, false
	}
	if w.churnOn {
		return Alert{}, false
	}
	w.churnOn = true
	ev := make([]string, 0, len(kept))
	for _, c := range kept {
		e := fmt.Sprintf("%s tac=%04X ci=%X AcT=%d", c.at.Format(time.TimeOnly), c.area, c.cell, c.act)
		if c.n > 1 {
			e += fmt.Sprintf(" (after %d unseen changes)", c.n-1)
		}
		ev = append(ev, e)
	}
	return Alert{Kind: AlertCellChurn, Severity: Warning,
		Title: fmt.Sprintf("%d cell changes in %v", n, w.churnWindow), Evidence: ev, At: now}, true
}

// serving checks the network the modem reports (from +COPS or the
// serving-cell report) against the SIM's policy.
func (w *watch) serving(now time.Time, plmn string, act info.AcT, allowed bool) []Alert {
	var out []Alert
	if act.Is2G() {
		if a, ok := w.downgrade(now, fmt.Sprintf("+COPS PLMN=%s AcT=%d", plmn, act)); ok {
			out = append(out, a)
		}
	}
	if act != info.AcTNone && !act.Is2G() {
		w.downgraded = false
	}
	if plmn == "" || allowed {
		w.badPLMN = ""
		return out
	}
	if plmn == w.badPLMN {
		return out
	}
	w.badPLMN = plmn
	sev := Warning
	if len(plmn) >= 3 && plmn[:3] != "410" {
		sev = Critical
	}
	return append(out, Alert{Kind: AlertUnexpectedNet, Severity: sev,
		Title: "Registered on a network the SIM may not use: " + plmn, Evidence: []string{fmt.Sprintf("PLMN=%s AcT=%d", plmn, act)}, At: now})
}

// reset records a modem reset and returns how many fell in the window; it
// raises an alert when unexpected resets reach resetLimit.
func (w *watch) reset(now time.Time, reason string, unexpected bool) (int, []Alert) {
	kept := w.resets[:0]
	for _, t := range w.resets {
		if now.Sub(t) < w.resetWindow {
			kept = append(kept, t)
		}
	}
	w.resets = append(kept, now)
	n := len(w.resets)
	if !unexpected || n < w.resetLimit {
		return n, nil
	}
	return n, []Alert{{Kind: AlertResets, Severity: Critical,
		Title:    fmt.Sprintf("Modem reset %d times in %v", n, w.resetWindow),
		Evidence: []string{"last reason: " + reason}, At: now}}
}

// sms classifies a received SMS-DELIVER. Every SMS is refused; these are the
// ones that are themselves a sign of an attack or of tracking.
func (w *watch) sms(now time.Time, d info.Deliver) (Alert, bool) {
	ev := []string{fmt.Sprintf("from=%s pid=%#02x dcs=%#02x class=%d udhi=%v", d.Originator, d.PID, d.DCS.Raw, d.DCS.Class, d.UDHI)}
	switch {
	case d.Type0():
		return Alert{Kind: AlertSMS, Severity: Critical, Title: "Silent (type 0) SMS received: someone is locating this phone", Evidence: ev, At: now}, true
	case d.SIMDownload():
		return Alert{Kind: AlertSMS, Severity: Critical, Title: "SMS addressed to the SIM card (OTA) received and dropped", Evidence: ev, At: now}, true
	case d.DCS.Class == 0:
		return Alert{Kind: AlertSMS, Severity: Warning, Title: "Flash (class 0) SMS received and dropped", Evidence: ev, At: now}, true
	case d.DCS.MWI && d.DCS.Discard:
		return Alert{Kind: AlertSMS, Severity: Warning, Title: "Discard-type indication SMS received", Evidence: ev, At: now}, true
	}
	return Alert{}, false
}
