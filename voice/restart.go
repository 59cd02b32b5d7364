package voice

import (
	"fmt"
	"strings"

	"time"

	"github.com/pion/webrtc/v4"

	"mehfooz/voice/setup"
)

// ICE restart (RFC 8445 section 9) after the data bearer changed: a new
// offer with fresh ICE credentials makes both sides gather again, which
// allocates new TURN relays from the new address, while DTLS, SRTP and the
// inner keys carry on. pion does not watch the network, so the daemon
// calls BearerChanged. Only the caller offers (the callee asks it to), since
// pion cannot roll a local offer back and two offers at once would stick.

func (p *Phone) startRestart(c *call) {
	if c.peer == nil {
		return
	}
	if !c.outgoing {
		// pion cannot roll a local offer back, so two offers at once would
		// leave the call stuck: only the caller offers, the callee asks.
		p.requestRestart(c)
		return
	}
	if c.restarting {
		// One is in flight: its offer is sent again now (the link may be
		// back), and a fresh restart follows its answer, since this new
		// bearer may have come after the offer was gathered.
		c.restartAfter = true
		if c.restartSDP != "" && c.restartSends < restartSends {
			p.sendRestart(c)
		}
		return
	}
	c.restarting = true
	c.restartAfter = false
	c.restartSeq++
	seq := c.restartSeq
	p.log.Info("ICE restart", "call", c.idHex())
	p.spawn(c, func() {
		sdp, err := func() (string, error) {
			offer, err := c.peer.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
			if err != nil {
				return "", err
			}
			if err := c.peer.pc.SetLocalDescription(offer); err != nil {
				return "", err
			}
			return gather(c.ctx, c.peer.pc)
		}()
		p.post(c, restartOffer{c: c, seq: seq, sdp: sdp, err: err})
	})
}

type restartOffer struct {
	c   *call
	seq uint64
	sdp string
	err error
}

func (e restartOffer) handle(p *Phone) {
	c := e.c
	if p.call != c || !c.restarting || e.seq != c.restartSeq {
		return
	}
	if e.err != nil {
		p.log.Warn("ICE restart offer", "call", c.idHex(), "err", e.err)
		ld := c.peer.pc.LocalDescription()
		if c.peer.pc.SignalingState() != webrtc.SignalingStateHaveLocalOffer || ld == nil {
			// Nothing was applied: try again shortly.
			c.restarting = false
			p.after(c, restartRetry, restartIfDown{c: c})
			return
		}
		// The offer is applied but gathered nothing (no relay reachable).
		// pion cannot roll it back, so it is sent as it is to get back to
		// stable, and a fresh restart follows its answer.
		e.sdp = ld.SDP
		c.restartAfter = true
	}
	c.restartSDP, c.restartSends = e.sdp, 0
	p.sendRestart(c)
}

// restartAnswerWait is how long a restart offer waits for its answer,
// restartRetry how long after an offer that could not be sent it is sent
// again, and restartSends how many times one offer is sent.
const (
	restartAnswerWait = 5 * time.Second
	restartRetry      = 2 * time.Second
	restartSends      = 6
)

// sendRestart sends the pending restart offer, and watches for its answer:
// the offer can be lost without an error, since the bearer that just
// changed may still carry the link to the exchange when it is sent.
func (p *Phone) sendRestart(c *call) {
	c.restartSends++
	m := p.msg(c, setup.KindRestart)
	m.SDP = c.restartSDP
	p.enqueue(c, m)
	p.after(c, restartAnswerWait, restartExpired{c: c, seq: c.restartSeq, send: c.restartSends})
}

// restartExpired: send number send of restart offer seq got no answer.
type restartExpired struct {
	c         *call
	seq       uint64
	send      int
	notSent   bool // the send failed: retry sooner
	retryNext bool // the retry delay has passed
}

func (e restartExpired) handle(p *Phone) {
	c := e.c
	if p.call != c || c.end != nil || !c.restarting || e.seq != c.restartSeq || e.send != c.restartSends {
		return
	}
	if c.restartSends >= restartSends {
		// pion cannot roll a local offer back, so the offer stays pending;
		// the call ends when the media path fails for good.
		p.log.Warn("ICE restart: no answer, giving up", "call", c.idHex(), "offers", c.restartSends)
		return
	}
	if e.notSent && !e.retryNext {
		p.after(c, restartRetry, restartExpired{c: c, seq: e.seq, send: e.send, notSent: true, retryNext: true})
		return
	}
	p.log.Warn("ICE restart: sending the offer again", "call", c.idHex(), "offers", c.restartSends)
	// The same offer again: pion cannot roll a local offer back to make a
	// new one, and this one's relay candidates were gathered on the new
	// bearer.
	p.sendRestart(c)
}

// after posts ev to the Phone after d on its clock, unless the call ends.
func (p *Phone) after(c *call, d time.Duration, ev event) {
	t := p.clk.NewTimer(d)
	p.spawn(c, func() {
		defer t.Stop()
		select {
		case <-t.C():
			p.post(c, ev)
		case <-c.ctx.Done():
		}
	})
}

func (p *Phone) onRestart(c *call, s *setup.Signed) {
	if c.peer == nil || c.keys.opener == nil {
		return // not connected yet: the connect timeout covers it
	}
	if c.outgoing {
		return // only the caller offers (startRestart); a callee's offer is not ours to take
	}
	if err := setup.CheckSDPFingerprint(s.SDP, c.peerFP); err != nil {
		p.refuse(c, CheckSDPFingerprint, err)
		return
	}
	if c.answeringRestart {
		// pion must not be driven from two goroutines: the latest offer
		// waits for the answer in progress.
		c.nextOffer = s
		return
	}
	if s.SDP == c.answeredOffer {
		// A resend of the offer already answered: our answer was lost, so
		// the same answer goes again (a new one would carry new ICE
		// credentials the caller never asked for).
		if ld := c.peer.pc.LocalDescription(); ld != nil && c.peer.pc.SignalingState() == webrtc.SignalingStateStable {
			m := p.msg(c, setup.KindRestartAnswer)
			m.SDP = ld.SDP
			p.enqueue(c, m)
		}
		return
	}
	c.answeringRestart, c.answeredOffer = true, s.SDP
	c.offersSeen++
	offer := s.SDP
	p.spawn(c, func() {
		sdp, err := func() (string, error) {
			if err := c.peer.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
				return "", err
			}
			answer, err := c.peer.pc.CreateAnswer(nil)
			if err != nil {
				return "", err
			}
			if err := c.peer.pc.SetLocalDescription(answer); err != nil {
				return "", err
			}
			return gather(c.ctx, c.peer.pc)
		}()
		p.post(c, restartAnswer{c: c, sdp: sdp, err: err})
	})
}

type restartAnswer struct {
	c   *call
	sdp string
	err error
}

func (e restartAnswer) handle(p *Phone) {
	c := e.c
	if p.call != c {
		return
	}
	c.answeringRestart = false
	defer func() {
		if next := c.nextOffer; next != nil {
			c.nextOffer = nil
			p.onRestart(c, next)
		}
	}()
	if e.err != nil {
		p.log.Warn("ICE restart answer", "call", c.idHex(), "err", e.err)
		return
	}
	m := p.msg(c, setup.KindRestartAnswer)
	m.SDP = e.sdp
	p.enqueue(c, m)
}

func (p *Phone) onRestartAnswer(c *call, s *setup.Signed) {
	if !c.restarting {
		return
	}
	if rd := c.peer.pc.RemoteDescription(); rd != nil && iceUfrag(s.SDP) == iceUfrag(rd.SDP) {
		// An answer to an earlier offer (it repeats the credentials we
		// already hold): not the answer to the offer in flight.
		return
	}
	c.restarting = false
	if err := setup.CheckSDPFingerprint(s.SDP, c.peerFP); err != nil {
		p.refuse(c, CheckSDPFingerprint, err)
		return
	}
	if err := c.peer.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: s.SDP}); err != nil {
		p.log.Warn("ICE restart", "call", c.idHex(), "err", fmt.Errorf("apply answer: %w", err))
	}
	if c.restartAfter {
		// Back in stable: now the restart the last bearer change needs.
		c.restartAfter = false
		p.startRestart(c)
	}
}

// restartIfDown restarts again after a restart that could not be made,
// unless the media path came back meanwhile.
type restartIfDown struct{ c *call }

func (e restartIfDown) handle(p *Phone) {
	c := e.c
	if p.call != c || c.end != nil || c.restarting || c.peer == nil {
		return
	}
	if c.peer.pc.ConnectionState() != webrtc.PeerConnectionStateConnected {
		p.startRestart(c)
	}
}

// restartFailed handles a restart offer the signaling could not send.
func (c *call) restartFailed(p *Phone) {
	if !c.restarting || c.restartSDP == "" {
		return
	}
	restartExpired{c: c, seq: c.restartSeq, send: c.restartSends, notSent: true}.handle(p)
}

// requestRestart asks the caller for an ICE restart (the callee's side of
// BearerChanged).
func (p *Phone) requestRestart(c *call) {
	if c.end != nil || c.requestSends >= restartSends {
		return
	}
	c.requestSends++
	p.log.Info("ICE restart requested", "call", c.idHex())
	p.enqueue(c, p.msg(c, setup.KindRestartRequest))
}

// restartRequestAgain resends a request that could not be sent, unless the
// media path came back meanwhile.
type restartRequestAgain struct {
	c          *call
	offersSeen int // restart offers received when the request failed
}

func (e restartRequestAgain) handle(p *Phone) {
	c := e.c
	if p.call != c || c.end != nil || c.peer == nil {
		return
	}
	// Sent again unless an offer came since: the old path may still carry
	// media for a while (consent fails only after 3 s), so the connection
	// state says nothing here.
	if c.offersSeen == e.offersSeen {
		p.requestRestart(c)
	}
}

// onRestartRequest: the callee's bearer changed. The caller restarts, or,
// if its own restart is in flight (its offer may have been lost while the
// callee was away), sends that offer again now that the callee is back.
func (p *Phone) onRestartRequest(c *call) {
	if !c.outgoing || c.peer == nil || c.keys.opener == nil {
		return
	}
	p.startRestart(c) // in flight: resends its offer and restarts afresh after
}

// iceUfrag returns the first a=ice-ufrag value of an SDP (RFC 8839 §5.4).
func iceUfrag(sdp string) string {
	for _, line := range strings.Split(sdp, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), "a=ice-ufrag:"); ok {
			return v
		}
	}
	return ""
}
