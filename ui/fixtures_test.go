package ui

import (
	"time"

	"mehfooz/daemon/state"
	"mehfooz/ui/key"
)

// t0 is the fixed instant every golden frame is drawn at.
var t0 = time.Date(2026, 3, 14, 10, 30, 0, 0, time.UTC)

func directory() []state.Contact {
	return []state.Contact{
		{ID: "pk-0007", Name: "Ayesha Khan", Rank: "Joint Secretary", Office: "Ministry of Interior", Online: true, Callable: true},
		{ID: "pk-0012", Name: "Bilal Raza", Rank: "Director", Office: "Cabinet Division", Online: true, Callable: true},
		{ID: "pk-0019", Name: "Farhan Malik", Office: "Foreign Office, Islamabad", Online: false, Callable: true},
		{ID: "pk-0023", Name: "عائشہ صدیقی", Rank: "Additional Secretary", Office: "وزارت داخلہ", Online: true, Callable: true},
		{ID: "pk-0031", Name: "Hina Parveen", Rank: "Deputy Secretary", Office: "Finance Division", Online: false, Callable: true},
		{ID: "pk-0040", Name: "ڈاکٹر پرویز اختر", Office: "Planning Commission", Online: true, Callable: true},
		{ID: "pk-0044", Name: "Imran Qureshi", Rank: "Secretary", Office: "Ministry of Defence", Online: true, Callable: false},
		{ID: "pk-0052", Name: "Nadia Shah", Office: "Prime Minister's Office", Online: false, Callable: true},
		{ID: "pk-0058", Name: "Omar Farooq", Rank: "Section Officer", Office: "Establishment Division", Online: true, Callable: true},
		{ID: "pk-0063", Name: "Sana Javed", Office: "Ministry of Law and Justice", Online: true, Callable: true},
		{ID: "pk-0071", Name: "Tariq Mehmood", Rank: "Director General", Office: "NTC Operations", Online: false, Callable: true},
		{ID: "pk-0079", Name: "Zainab Hussain", Office: "Ministry of Information", Online: true, Callable: true},
	}
}

// base is an unlocked, registered, linked handset with a full directory.
func base() state.Snapshot {
	return state.Snapshot{
		Seq:      42,
		At:       t0,
		Board:    "test",
		Lock:     state.Lock{Locked: false, MaxAttempts: 10},
		Modem:    state.Modem{Phase: state.ModemDataUp, SIM: state.SIMReady, Operator: "Jazz", PLMN: "41001", RAT: "LTE", Bars: 4},
		Link:     state.Link{Connected: true, Exchange: "exchange.ntc", Directory: 7},
		Contacts: directory(),
		Call:     state.Call{Phase: state.CallIdle},
		Battery:  &state.Battery{Percent: 76},
	}
}

// fixture is one golden frame: a snapshot, then keys pressed on it.
type fixture struct {
	name string
	snap func() state.Snapshot
	keys []key.Key
	at   time.Duration // clock offset from t0 when drawn
}

func fixtures() []fixture {
	with := func(f func(*state.Snapshot)) func() state.Snapshot {
		return func() state.Snapshot { s := base(); f(&s); return s }
	}
	call := func(phase state.CallPhase, f func(*state.Call)) func() state.Snapshot {
		return with(func(s *state.Snapshot) {
			s.Call = state.Call{Phase: phase, ID: "c1", PeerID: "pk-0007", PeerName: "Ayesha Khan", Since: t0.Add(-83 * time.Second),
				Quality: state.Quality{RTTms: 84, LossPct: 0.4, JitterMs: 6, BitrateKbps: 32, Bars: 4}}
			if f != nil {
				f(&s.Call)
			}
		})
	}
	return []fixture{
		{name: "lock", snap: with(func(s *state.Snapshot) { s.Lock.Locked = true })},
		{name: "lock-typing", snap: with(func(s *state.Snapshot) { s.Lock.Locked = true; s.Lock.WrongPINs = 2 }),
			keys: []key.Key{key.Digit1, key.Digit9, key.Digit4, key.Digit7, key.Digit2}},
		{name: "lock-last-tries", snap: with(func(s *state.Snapshot) { s.Lock.Locked = true; s.Lock.WrongPINs = 8 })},
		{name: "lock-setup", snap: with(func(s *state.Snapshot) { s.Lock = state.Lock{Locked: true, Setup: true, MaxAttempts: 10} }),
			keys: []key.Key{key.Digit4, key.Digit4}},
		{name: "lock-setup-differ", snap: with(func(s *state.Snapshot) { s.Lock = state.Lock{Locked: true, Setup: true, MaxAttempts: 10} }),
			keys: []key.Key{key.Digit1, key.Digit2, key.Digit3, key.Digit4, key.OK, key.Digit1, key.Digit2, key.Digit3, key.Digit5, key.OK}},
		{name: "lock-wiped", snap: with(func(s *state.Snapshot) {
			s.Lock = state.Lock{Locked: true, Wiped: true, WrongPINs: 10, MaxAttempts: 10}
		})},
		{name: "contacts", snap: base, keys: []key.Key{key.Down, key.Down, key.Down}},
		{name: "contacts-urdu", snap: base, keys: []key.Key{key.Up, key.Up}}, // wraps to the end: the Urdu names
		{name: "contacts-search", snap: base, keys: []key.Key{key.Digit7, key.Digit2}},
		{name: "contacts-empty", snap: with(func(s *state.Snapshot) {
			s.Contacts = nil
			s.Link = state.Link{}
			s.Modem = state.Modem{Phase: state.ModemSearching, SIM: state.SIMReady}
			s.Battery = nil
		})},
		{name: "detail", snap: base, keys: []key.Key{key.Down, key.Down, key.Down, key.OK}},
		{name: "detail-not-permitted", snap: base, keys: []key.Key{key.Digit4, key.Digit6, key.OK}},
		{name: "outgoing", snap: call(state.CallRinging, func(c *state.Call) { c.Outgoing = true; c.Since = t0.Add(-7 * time.Second) })},
		{name: "incoming", snap: call(state.CallIncoming, func(c *state.Call) { c.PeerID, c.PeerName = "pk-0023", "عائشہ صدیقی" })},
		{name: "incall-verify", snap: call(state.CallConnected, func(c *state.Call) { c.SAS = "4719" })},
		{name: "incall-choosing", snap: call(state.CallConnected, func(c *state.Call) { c.SAS = "4719" }), keys: []key.Key{key.Right}},
		{name: "incall-verified", snap: call(state.CallConnected, func(c *state.Call) {
			c.SAS, c.SASVerdict, c.Muted = "4719", state.SASMatch, true
			c.Quality.Bars, c.Quality.LossPct, c.Quality.RTTms = 2, 4.8, 212
		})},
		{name: "ended", snap: call(state.CallEnded, func(c *state.Call) { c.EndReason = "declined"; c.Since = t0 })},
		{name: "ended-security", snap: call(state.CallEnded, func(c *state.Call) {
			c.EndReason = "security: the peer's DTLS certificate does not match its enrolled key"
			c.Since = t0
		})},
		{name: "alert-baseband", snap: with(func(s *state.Snapshot) {
			s.Modem.RAT, s.Modem.Bars = "GSM", 2
			s.Alerts = []state.Alert{
				{ID: "a1", Kind: state.AlertBaseband, Severity: state.SeverityCritical, Title: "Network forced down to 2G",
					Text: "The network moved this phone to 2G, which does not authenticate the network. Calls stay encrypted end to end, but an attacker may be nearby. Move away and report this.", At: t0},
				{ID: "a2", Kind: state.AlertPinnedKey, Severity: state.SeverityCritical, Title: "Bilal Raza's key changed", At: t0},
			}
		})},
		{name: "dialog-warning", snap: with(func(s *state.Snapshot) {
			s.Alerts = []state.Alert{{ID: "w1", Kind: state.AlertExchange, Severity: state.SeverityWarning, Title: "Exchange unreachable",
				Text: "Calls cannot be placed until the link returns. The phone keeps trying.", At: t0}}
			s.Link.Connected = false
		})},
	}
}
