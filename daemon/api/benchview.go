package api

import "mehfooz/daemon/state"

// BenchView is the Snapshot as the bench line shows it: what a technician
// needs (lock, modem, link, battery, the call's phase and security code,
// alert titles) and nothing a cable should learn about the officials on
// the handset: no contacts, no call peer, no alert texts, no IP address.
func BenchView(s state.Snapshot) state.Snapshot {
	v := state.Snapshot{Board: s.Board, Lock: s.Lock, Modem: s.Modem, Link: s.Link, Battery: s.Battery}
	v.Modem.IP = ""
	v.Call = state.Call{Phase: s.Call.Phase, Outgoing: s.Call.Outgoing, Since: s.Call.Since, SAS: s.Call.SAS,
		SASVerdict: s.Call.SASVerdict, Muted: s.Call.Muted, Quality: s.Call.Quality, EndReason: s.Call.EndReason}
	for _, a := range s.Alerts {
		a.Text = ""
		v.Alerts = append(v.Alerts, a)
	}
	return v
}
