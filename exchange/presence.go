package exchange

import (
	"fmt"
	"slices"

	"mehfooz/exchange/wire"
	"mehfooz/trust"
)

// Presence is told only along the call policy: a handset learns that a
// device is online only if it may call that device. A handset gets the full
// list at once when it connects; changes after that are collected per
// watcher and sent together on the janitor's tick, so a thousand handsets
// reconnecting after an outage cost each watcher one frame a second, not a
// thousand. x.mu is held in all of these.

// presenceArrived tells s which of its contacts are online, and tells every
// online device that may call s that s is now online.
func (x *Exchange) presenceArrived(s *session) {
	if d, _, _, _ := x.current(); d == nil {
		return
	}
	var online []string
	for id, w := range x.sessions {
		if w == s || x.online(id) == nil {
			continue
		}
		if x.mayCall(s.id, id) {
			online = append(online, string(id))
		}
		if x.mayCall(id, s.id) {
			w.notePresence(s.id, true)
		}
	}
	slices.Sort(online)
	s.presOn, s.presOff = nil, nil
	s.send(&wire.Presence{Full: true, Online: online})
}

// presenceGone tells every online device that may call s that s is offline.
func (x *Exchange) presenceGone(s *session) {
	if s.wipePending {
		return
	}
	for id, w := range x.sessions {
		if w == s || x.online(id) == nil {
			continue
		}
		if x.mayCall(id, s.id) {
			w.notePresence(s.id, false)
		}
	}
}

// presenceAll sends every online handset a full update (after the directory
// changed who may call whom).
func (x *Exchange) presenceAll() {
	for id, s := range x.sessions {
		if x.online(id) == nil {
			continue
		}
		var online []string
		for other := range x.sessions {
			if other != id && x.online(other) != nil && x.mayCall(id, other) {
				online = append(online, string(other))
			}
		}
		slices.Sort(online)
		s.presOn, s.presOff = nil, nil
		s.send(&wire.Presence{Full: true, Online: online})
	}
}

// notePresence records a change for the next flush.
func (s *session) notePresence(id trust.DeviceID, online bool) {
	add, drop := &s.presOn, &s.presOff
	if !online {
		add, drop = drop, add
	}
	delete(*drop, id)
	if *add == nil {
		*add = map[trust.DeviceID]struct{}{}
	}
	(*add)[id] = struct{}{}
}

// flushPresence sends every handset the changes collected for it.
func (x *Exchange) flushPresence() {
	for id, s := range x.sessions {
		if len(s.presOn)+len(s.presOff) == 0 {
			continue
		}
		if x.online(id) != nil {
			s.send(&wire.Presence{Online: sortedIDs(s.presOn), Offline: sortedIDs(s.presOff)})
		}
		s.presOn, s.presOff = nil, nil
	}
}

func sortedIDs(m map[trust.DeviceID]struct{}) []string {
	if len(m) == 0 {
		return nil
	}
	l := make([]string, 0, len(m))
	for id := range m {
		l = append(l, string(id))
	}
	slices.Sort(l)
	return l
}

// mayCall reports whether the current directory, revocation list and blocks
// let from call to.
func (x *Exchange) mayCall(from, to trust.DeviceID) bool { return x.allowed(from, to) == nil }

// allowed is mayCall with the reason: the exchange's blocks, then the same
// policy decision the handsets make (trust's whitelist gate).
func (x *Exchange) allowed(from, to trust.DeviceID) error {
	for _, id := range []trust.DeviceID{from, to} {
		if reason, ok := x.blocks[id]; ok {
			return fmt.Errorf("%w: %s blocked at the exchange (%s)", trust.ErrRevoked, id, reason)
		}
	}
	return x.gate.MayCall(from, to)
}
