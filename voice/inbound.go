package voice

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/pion/webrtc/v4"

	"mehfooz/voice/internal/wipe"
	"mehfooz/voice/sas"
	"mehfooz/voice/setup"
)

// inbound is a message from the exchange, not yet verified.
type inbound struct {
	from string
	raw  []byte
}

func (e inbound) handle(p *Phone) {
	s, err := p.rx.Open(e.raw)
	if err != nil {
		p.refused(e, err)
		return
	}
	if s.From != e.from {
		p.log.Warn("exchange labels a message with another sender", "signed", s.From, "exchange", e.from)
	}
	if s.Kind == setup.KindInvite {
		p.onInvite(s)
		return
	}
	c := p.call
	if c == nil || s.CallID != c.id || s.From != c.peerID {
		p.log.Debug("message for no current call", "kind", s.Kind, "from", s.From)
		return
	}
	switch {
	case s.FromFP != c.peerFP:
		p.refuse(c, CheckPeer, fmt.Errorf("%s signed by another certificate than the call's", s.Kind))
		return
	case s.Ref != c.invite && s.Kind == setup.KindRefuse:
		// The peer refused an invite that differs from ours: it was altered
		// on the way. The refusal is signed, so the peer did say it.
		p.finish(c, peerEnd(s), 0, "")
		return
	case s.Ref != c.invite:
		p.refuse(c, CheckSequence, fmt.Errorf("%s refers to another invite", s.Kind))
		return
	case s.Seq <= c.seqIn:
		p.refuse(c, CheckSequence, fmt.Errorf("%s numbered %d after %d", s.Kind, s.Seq, c.seqIn))
		return
	}
	c.seqIn = s.Seq
	switch s.Kind {
	case setup.KindRinging:
		if c.outgoing && c.phase == PhaseDialing {
			p.setPhase(c, PhaseRinging)
			p.arm(c, p.to.Answer, "answer")
		}
	case setup.KindAnswer:
		p.onAnswer(c, s)
	case setup.KindReveal:
		p.onReveal(c, s)
	case setup.KindDecline:
		p.finish(c, EndReason{Kind: EndDeclined}, 0, "")
	case setup.KindBusy:
		p.finish(c, EndReason{Kind: EndBusy}, 0, "")
	case setup.KindHangUp, setup.KindRefuse:
		// While DTLS is failing, our own verdict names the check more
		// exactly than the peer's (a DTLS client only sees an alert).
		if c.peer != nil && c.keys.opener == nil && s.Kind == setup.KindRefuse {
			if check := dtlsCheck(c.peer.plog.lines()); check != CheckDTLS {
				p.dtlsRefused(c)
				return
			}
		}
		p.finish(c, peerEnd(s), 0, "")
	case setup.KindRestart:
		p.onRestart(c, s)
	case setup.KindRestartAnswer:
		p.onRestartAnswer(c, s)
	case setup.KindRestartRequest:
		p.onRestartRequest(c)
	case setup.KindHold:
		c.remoteHold.Store(s.On)
		p.holdPhase(c)
	}
}

// peerEnd turns the peer's hang-up or refusal into our end reason.
func peerEnd(s *setup.Signed) EndReason {
	if check, ok := strings.CutPrefix(s.Reason, "security: "); ok || s.Kind == setup.KindRefuse {
		if !ok {
			check = s.Reason
		}
		return EndReason{Kind: EndSecurity, Check: Check(check), ByPeer: true, Detail: s.Reason}
	}
	switch EndKind(s.Reason) {
	case EndNoAnswer:
		return EndReason{Kind: EndNoAnswer}
	case EndNetwork:
		return EndReason{Kind: EndNetwork, Detail: "peer lost the media path"}
	}
	return EndReason{Kind: EndRemoteHungUp, Detail: s.Reason}
}

// refused reports a message that failed its checks and, for an invite that
// is not a replay, tells the claimed caller why: its handset then shows the
// refusal instead of ringing on until it gives up.
func (p *Phone) refused(e inbound, err error) {
	check := setupCheck(err)
	m, digest, perr := setup.Peek(e.raw)
	kind := "unreadable"
	from := e.from
	if perr == nil {
		kind, from = m.Kind.String(), m.From
	}
	p.log.Warn("setup message refused", "from", from, "kind", kind, "check", check, "err", err)
	if p.cfg.OnRefusal != nil {
		p.cfg.OnRefusal(Refusal{From: from, Kind: kind, Check: check, Err: err})
	}
	if perr != nil || check == CheckReplay || check == CheckStale || check == CheckRetargeted {
		return // a copy carries nothing new; a message for someone else is not ours to answer
	}
	if c := p.call; c != nil && c.id == m.CallID && c.peerID == m.From {
		if m.Kind != setup.KindInvite {
			// Someone altered or forged a message of this call: end it,
			// loudly, rather than carry on with a tampered setup.
			p.refuse(c, check, err)
		}
		return
	}
	if m.Kind != setup.KindInvite {
		return
	}
	r := &setup.Message{
		Kind: setup.KindRefuse, CallID: m.CallID, To: m.From, ToFP: m.FromFP, Seq: 1,
		Time: p.clk.Now(), Ref: digest, Reason: "security: " + string(check),
	}
	rand.Read(r.Nonce[:])
	p.enqueue(nil, r)
}

// refusedSigned refuses a verified invite that a later check turned down,
// and tells the caller which.
func (p *Phone) refusedSigned(s *setup.Signed, check Check, err error) {
	p.log.Warn("invite refused", "from", s.From, "check", check, "err", err)
	if p.cfg.OnRefusal != nil {
		p.cfg.OnRefusal(Refusal{From: s.From, Kind: s.Kind.String(), Check: check, Err: err})
	}
	r := &setup.Message{
		Kind: setup.KindRefuse, CallID: s.CallID, To: s.From, ToFP: s.FromFP, Seq: 1,
		Time: p.clk.Now(), Ref: s.Digest, Reason: "security: " + string(check),
	}
	rand.Read(r.Nonce[:])
	p.enqueue(nil, r)
}

func (p *Phone) onInvite(s *setup.Signed) {
	if s.Seq != 1 {
		p.refusedSigned(s, CheckSequence, fmt.Errorf("invite numbered %d", s.Seq))
		return
	}
	if err := p.cfg.Peers.MayCall(s.From, p.cfg.Identity.DeviceID); err != nil {
		p.refusedSigned(s, CheckPolicy, err)
		return
	}
	if p.call != nil {
		// Call waiting is refused: one call at a time, and the caller hears busy.
		m := &setup.Message{
			Kind: setup.KindBusy, CallID: s.CallID, To: s.From, ToFP: s.FromFP, Seq: 1,
			Time: p.clk.Now(), Ref: s.Digest,
		}
		rand.Read(m.Nonce[:])
		p.enqueue(nil, m)
		p.log.Info("busy: refused a second call", "from", s.From)
		return
	}
	c := p.newCall(s.From, false)
	c.id, c.peerFP, c.peerCert, c.invite, c.seqIn = s.CallID, s.FromFP, s.Cert, s.Digest, s.Seq
	c.offer, c.peerKEM, c.commitment = s.SDP, s.KEM, s.SAS
	c.phase = PhaseIncoming
	p.publish(c)
	p.enqueue(c, p.msg(c, setup.KindRinging))
	p.arm(c, p.to.Answer, "answer")
	p.spawn(c, func() { p.prewarm(c) })
}

func (p *Phone) onAnswer(c *call, s *setup.Signed) {
	if !c.outgoing || (c.phase != PhaseDialing && c.phase != PhaseRinging) || c.keys.dk == nil || c.keys.dkUsed {
		p.refuse(c, CheckSequence, errors.New("answer out of turn"))
		return
	}
	c.answer = s.Digest
	secret, err := c.keys.dk.Decapsulate(s.KEM)
	if err != nil {
		p.refuse(c, CheckNoInnerLayer, fmt.Errorf("decapsulate: %w", err))
		return
	}
	c.keys.kemSecret = secret
	p.dropDecapsulationKey(c)
	c.keys.peerNonce = append([]byte(nil), s.SAS...)
	// Checked when the message was opened; checked again here, next to the
	// call that would act on it.
	if err := setup.CheckSDPFingerprint(s.SDP, c.peerFP); err != nil {
		p.refuse(c, CheckSDPFingerprint, err)
		return
	}
	if err := checkSDPMedia(s.SDP); err != nil {
		p.refuse(c, CheckCodec, err)
		return
	}
	if err := c.peer.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: s.SDP}); err != nil {
		p.refuse(c, CheckMalformed, fmt.Errorf("answer SDP: %w", err))
		return
	}
	p.setPhase(c, PhaseConnecting)
	p.arm(c, p.to.Connect, "connect")
}

// dropDecapsulationKey erases the ML-KEM private key as soon as it has done
// its one job.
func (p *Phone) dropDecapsulationKey(c *call) {
	c.keys.dkUsed = true
	if err := wipe.Opaque(c.keys.dk); err != nil {
		p.log.Error("erase ML-KEM key", "err", err)
	}
}

func (p *Phone) onReveal(c *call, s *setup.Signed) {
	if c.outgoing || c.keys.peerNonce != nil {
		p.refuse(c, CheckSequence, errors.New("reveal out of turn"))
		return
	}
	if err := sas.Check(c.commitment, c.id[:], s.SAS); err != nil {
		p.refuse(c, CheckCommitment, err)
		return
	}
	c.keys.peerNonce = append([]byte(nil), s.SAS...)
	if c.keys.opener != nil { // keys already derived: the code can be shown
		p.showSAS(c)
	}
}

// showSAS derives the code once the keys and both nonces are there.
func (p *Phone) showSAS(c *call) {
	if err := c.deriveSAS(); err != nil {
		p.refuse(c, CheckCommitment, err)
		return
	}
	if c.timerWhat == "reveal" {
		p.disarm(c)
	}
	p.publish(c)
}

func (p *Phone) holdPhase(c *call) {
	if c.phase != PhaseConnected && c.phase != PhaseOnHold {
		return
	}
	ph := PhaseConnected
	if c.localHold.Load() || c.remoteHold.Load() {
		ph = PhaseOnHold
	}
	if ph == c.phase {
		p.publish(c)
		return
	}
	p.setPhase(c, ph)
}
