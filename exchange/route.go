package exchange

import (
	"fmt"
	"time"

	"mehfooz/exchange/wire"
	"mehfooz/trust"
)

// call is an open call as the exchange knows it: who the two parties are,
// so that only they exchange messages under its ID. It lives in memory from
// the caller's TURN request or invite to the hang-up, and is never written
// anywhere.
type call struct {
	id       wire.CallID
	caller   trust.DeviceID
	callee   trust.DeviceID
	invited  bool // the invite went through (before it, only a TURN grant)
	answered bool
	created  time.Time
	// gone is when a party was last seen leaving while the call was open;
	// zero while both are connected.
	gone time.Time
}

func (c *call) other(id trust.DeviceID) trust.DeviceID {
	if id == c.caller {
		return c.callee
	}
	return c.caller
}

func (c *call) party(id trust.DeviceID) bool { return id == c.caller || id == c.callee }

// openCalls counts the calls id is a party of; x.mu is held.
func (x *Exchange) openCalls(id trust.DeviceID) int {
	n := 0
	for _, c := range x.calls {
		if c.party(id) {
			n++
		}
	}
	return n
}

// route applies the routing rules to one envelope from s and forwards it,
// with From set to s's authenticated identity, or refuses it. Nothing of a
// refused envelope reaches anyone.
func (x *Exchange) route(s *session, seq uint64, env *wire.Envelope) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.route1(s, env); err != nil {
		code := codeOf(err)
		s.send(&wire.Error{Re: seq, Call: env.Call, Code: code, Reason: err.Error()})
		if code != wire.CodeOffline && code != wire.CodeNoCall {
			x.audit.refused(string(s.id), code, fmt.Sprintf("%v to %s: %v", env.Kind, env.To, err), "")
		}
	}
}

func (x *Exchange) route1(s *session, env *wire.Envelope) error {
	from, to := s.id, trust.DeviceID(env.To)
	if s.wipePending {
		return refuse(wire.CodeWipePending, "this device has a wipe order pending")
	}
	if from == to {
		return refuse(wire.CodeNotAllowed, "a device cannot call itself")
	}
	c := x.calls[env.Call]
	if env.Kind == wire.Invite {
		switch {
		case c != nil && c.invited, c == nil && x.seen.has(env.Call):
			return refuse(wire.CodeReplayed, "call ID %s already used", env.Call)
		case c != nil && (c.caller != from || c.callee != to):
			return refuse(wire.CodeNotInCall, "call ID %s is held for another pair", env.Call)
		}
		if err := x.allowed(from, to); err != nil {
			return err
		}
		if c == nil && x.openCalls(from) >= x.cfg.MaxCalls {
			return refuse(wire.CodeTooManyCalls, "%d calls open", x.cfg.MaxCalls)
		}
		peer := x.online(to)
		if peer == nil {
			return refuse(wire.CodeOffline, "%s is not connected", to)
		}
		if c == nil {
			c = &call{id: env.Call, caller: from, callee: to, created: x.clk.Now()}
			x.calls[env.Call] = c
		}
		c.invited = true
		x.seen.add(env.Call, x.clk.Now())
		x.forward(peer, from, env)
		return nil
	}

	if c == nil || !c.invited {
		return refuse(wire.CodeNoCall, "no open call %s", env.Call)
	}
	if !c.party(from) || to != c.other(from) {
		return refuse(wire.CodeNotInCall, "call %s is between two other devices", env.Call)
	}
	switch env.Kind {
	case wire.Ringing:
		if from != c.callee || c.answered {
			return refuse(wire.CodeBadState, "ringing is the callee's, before the answer")
		}
	case wire.Answer:
		if from != c.callee || c.answered {
			return refuse(wire.CodeBadState, "the callee answers once")
		}
	case wire.Decline, wire.Busy:
		if from != c.callee || c.answered {
			return refuse(wire.CodeBadState, "only the callee declines, before answering")
		}
	case wire.RestartOffer, wire.RestartAnswer, wire.Hold:
		if !c.answered {
			return refuse(wire.CodeBadState, "%s before the answer", env.Kind)
		}
	case wire.Reveal:
		if from != c.caller || !c.answered {
			return refuse(wire.CodeBadState, "reveal is the caller's, after the answer")
		}
	}
	// The directory or revocation list may have changed since the invite.
	if err := x.allowed(c.caller, c.callee); err != nil {
		x.endCall(c, codeOf(err))
		return err
	}
	peer := x.online(to)
	if peer == nil {
		return refuse(wire.CodeOffline, "%s is not connected", to)
	}
	switch env.Kind {
	case wire.Answer:
		c.answered = true
	case wire.Decline, wire.Busy, wire.Hangup, wire.Refuse:
		delete(x.calls, c.id)
	}
	x.forward(peer, from, env)
	return nil
}

func (x *Exchange) forward(peer *session, from trust.DeviceID, env *wire.Envelope) {
	peer.send(&wire.Routed{Envelope: wire.Envelope{Kind: env.Kind, Call: env.Call, From: string(from), To: env.To, Body: env.Body}})
}

// endCall closes c and tells both parties; x.mu is held.
func (x *Exchange) endCall(c *call, code string) {
	delete(x.calls, c.id)
	for _, id := range []trust.DeviceID{c.caller, c.callee} {
		if s := x.sessions[id]; s != nil {
			s.send(&wire.CallEnded{Call: c.id, Code: code})
		}
	}
}

// endCallsOf closes every call id is a party of.
func (x *Exchange) endCallsOf(id trust.DeviceID, code string) {
	for _, c := range x.calls {
		if c.party(id) {
			x.endCall(c, code)
		}
	}
}

// grant mints TURN credentials for a party of a call. The caller may ask
// before inviting: the exchange then holds the call ID for that pair, so a
// grant never outlives the policy check of the call it is for.
func (x *Exchange) grant(s *session, seq uint64, m *wire.TURNRequest) {
	x.mu.Lock()
	defer x.mu.Unlock()
	err := x.grant1(s, m)
	if err == nil {
		return
	}
	code := codeOf(err)
	s.send(&wire.Error{Re: seq, Call: m.Call, Code: code, Reason: err.Error()})
	if code != wire.CodeNoRelay && code != wire.CodeInternal {
		x.audit.refused(string(s.id), code, fmt.Sprintf("TURN for call with %s: %v", m.To, err), "")
	}
}

func (x *Exchange) grant1(s *session, m *wire.TURNRequest) error {
	if x.cfg.Relay == nil {
		return refuse(wire.CodeNoRelay, "this exchange has no TURN relay")
	}
	if s.wipePending {
		return refuse(wire.CodeWipePending, "this device has a wipe order pending")
	}
	from, to := s.id, trust.DeviceID(m.To)
	c := x.calls[m.Call]
	switch {
	case c != nil:
		if !c.party(from) || c.other(from) != to {
			return refuse(wire.CodeNotInCall, "call %s is between two other devices", m.Call)
		}
		if err := x.allowed(c.caller, c.callee); err != nil {
			return err
		}
	case x.seen.has(m.Call):
		return refuse(wire.CodeReplayed, "call ID %s already used", m.Call)
	default:
		if from == to {
			return refuse(wire.CodeNotAllowed, "a device cannot call itself")
		}
		if err := x.allowed(from, to); err != nil {
			return err
		}
		if x.openCalls(from) >= x.cfg.MaxCalls {
			return refuse(wire.CodeTooManyCalls, "%d calls open", x.cfg.MaxCalls)
		}
		x.calls[m.Call] = &call{id: m.Call, caller: from, callee: to, created: x.clk.Now()}
	}
	g, err := x.cfg.Relay.Grant(string(from), m.Call)
	if err != nil {
		return refuse(wire.CodeInternal, "mint TURN credential: %v", err)
	}
	s.send(g)
	return nil
}
