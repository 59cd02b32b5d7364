package voice

import (
	"fmt"

	"github.com/pion/webrtc/v4"

	"mehfooz/voice/setup"
)

// ICE restart (RFC 8445 section 9) after the data bearer changed: a new
// offer with fresh ICE credentials makes both sides gather again, which
// allocates new TURN relays from the new address, while DTLS, SRTP and the
// inner keys carry on. pion does not watch the network, so
// the daemon calls BearerChanged. When both sides restart at once, the
// caller's offer wins and the callee rolls its own back.

func (p *Phone) startRestart(c *call) {
	if c.restarting || c.peer == nil {
		return
	}
	c.restarting = true
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
		c.restarting = false
		p.log.Warn("ICE restart offer", "call", c.idHex(), "err", e.err)
		return
	}
	m := p.msg(c, setup.KindRestart)
	m.SDP = e.sdp
	p.enqueue(c, m)
}

func (p *Phone) onRestart(c *call, s *setup.Signed) {
	if c.peer == nil || c.keys.opener == nil {
		return // not connected yet: the connect timeout covers it
	}
	if c.restarting {
		if c.outgoing {
			return // glare: ours wins, the callee answers it
		}
		if err := c.peer.pc.SetLocalDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeRollback}); err != nil {
			p.log.Warn("roll back ICE restart offer", "err", err)
		}
		c.restarting = false
	}
	if err := setup.CheckSDPFingerprint(s.SDP, c.peerFP); err != nil {
		p.refuse(c, CheckSDPFingerprint, err)
		return
	}
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
	c.restarting = false
	if err := setup.CheckSDPFingerprint(s.SDP, c.peerFP); err != nil {
		p.refuse(c, CheckSDPFingerprint, err)
		return
	}
	if err := c.peer.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: s.SDP}); err != nil {
		p.log.Warn("ICE restart", "call", c.idHex(), "err", fmt.Errorf("apply answer: %w", err))
	}
}
