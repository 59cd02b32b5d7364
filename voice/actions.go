package voice

import (
	"crypto/rand"
	"errors"
	"fmt"

	"mehfooz/voice/setup"
)

// Dial calls the handset peerID. It returns once the call is being set up;
// the outcome arrives through OnUpdate.
func (p *Phone) Dial(peerID string) error {
	return p.do(func() error {
		if p.call != nil {
			return ErrBusy
		}
		fp, err := p.cfg.Peers.Fingerprint(peerID)
		if err != nil {
			return fmt.Errorf("voice: dial %q: %w", peerID, err)
		}
		if err := p.cfg.Peers.MayCall(p.cfg.Identity.DeviceID, peerID); err != nil {
			return fmt.Errorf("voice: dial %q: %w", peerID, err)
		}
		c := p.newCall(peerID, true)
		rand.Read(c.id[:])
		c.peerFP = fp
		c.phase = PhaseDialing
		p.publish(c)
		p.arm(c, p.to.Gather, "gather")
		p.spawn(c, func() { p.buildOffer(c) })
		return nil
	})
}

// Answer picks up the ringing call.
func (p *Phone) Answer() error {
	return p.do(func() error {
		c := p.call
		if c == nil || c.phase != PhaseIncoming {
			return ErrNoCall
		}
		p.setPhase(c, PhaseConnecting)
		p.arm(c, p.to.Gather, "gather")
		c.answering = true
		if c.warmed {
			pr := c.peer
			p.spawn(c, func() { p.buildAnswer(c, pr) })
		}
		return nil
	})
}

// Decline refuses the ringing call.
func (p *Phone) Decline() error {
	return p.do(func() error {
		c := p.call
		if c == nil || c.phase != PhaseIncoming {
			return ErrNoCall
		}
		p.finish(c, EndReason{Kind: EndDeclined}, setup.KindDecline, "")
		return nil
	})
}

// HangUp ends the call in any phase; while our handset rings it declines.
func (p *Phone) HangUp() error {
	return p.do(func() error {
		c := p.call
		if c == nil {
			return ErrNoCall
		}
		if c.phase == PhaseIncoming {
			p.finish(c, EndReason{Kind: EndDeclined}, setup.KindDecline, "")
			return nil
		}
		p.finish(c, EndReason{Kind: EndHungUp}, setup.KindHangUp, "hung-up")
		return nil
	})
}

// Hold puts the call on hold or takes it off. While we hold, we keep sending
// frames of the same size and rate, marked as filler, so the link shows no
// change; no audio leaves the handset.
func (p *Phone) Hold(on bool) error {
	return p.do(func() error {
		c := p.call
		if c == nil || (c.phase != PhaseConnected && c.phase != PhaseOnHold) {
			return ErrNoCall
		}
		if c.localHold.Load() == on {
			return nil
		}
		c.localHold.Store(on)
		m := p.msg(c, setup.KindHold)
		m.On = on
		p.enqueue(c, m)
		p.holdPhase(c)
		return nil
	})
}

// ConfirmSAS records the user's comparison of the codes on both screens. A
// mismatch means someone is in the middle: the call ends at once, on both
// handsets, with the alarm raised.
func (p *Phone) ConfirmSAS(match bool) error {
	return p.do(func() error {
		c := p.call
		if c == nil || c.keys.code == "" {
			return ErrNoCall
		}
		if match {
			c.verdict = VerdictMatch
			p.publish(c)
			return nil
		}
		c.verdict = VerdictMismatch
		p.refuse(c, CheckSASMismatch, errors.New("the user reported that the codes differ"))
		return nil
	})
}

// BearerChanged tells the Phone that the data bearer changed (the modem got
// a new address, or the link moved): the call restarts ICE, which gathers a
// new TURN allocation, so it survives a short outage.
func (p *Phone) BearerChanged() {
	_ = p.do(func() error {
		if c := p.call; c != nil && (c.phase == PhaseConnected || c.phase == PhaseOnHold) {
			p.startRestart(c)
		}
		return nil
	})
}

// Revoked tells the Phone that the revocation list now names deviceID: a
// call with it ends at once.
func (p *Phone) Revoked(deviceID string) {
	_ = p.do(func() error {
		if c := p.call; c != nil && c.peerID == deviceID {
			p.refuse(c, CheckRevoked, fmt.Errorf("%q is on the revocation list", deviceID))
		}
		return nil
	})
}

// Undelivered tells the Phone that the exchange refused to route a message
// of the call callID (the callee is offline, or the exchange's policy says
// no). A call still being dialled ends as unreachable; later the phase
// timeouts decide.
func (p *Phone) Undelivered(callID [16]byte, reason string) {
	_ = p.do(func() error {
		if c := p.call; c != nil && c.id == callID && c.outgoing && c.phase == PhaseDialing {
			p.finish(c, EndReason{Kind: EndUnreachable, Detail: "exchange: " + reason}, 0, "")
		}
		return nil
	})
}

// spawn runs fn as one of c's goroutines; only Run's goroutine calls it, and
// never after c ended, so the teardown's Wait sees every Add.
func (p *Phone) spawn(c *call, fn func()) {
	if c.end != nil {
		return
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		fn()
	}()
}
