package exchange

import (
	"fmt"
	"slices"

	"mehfooz/exchange/wire"
	"mehfooz/trust"
)

// Presence is told only along the call policy: a handset learns that a
// device is online only if it may call that device. x.mu is held in all of
// these.

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
			w.send(&wire.Presence{Online: []string{string(s.id)}})
		}
	}
	slices.Sort(online)
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
			w.send(&wire.Presence{Offline: []string{string(s.id)}})
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
		s.send(&wire.Presence{Full: true, Online: online})
	}
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
