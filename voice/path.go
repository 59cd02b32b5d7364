package voice

import (
	"crypto/mlkem"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pion/webrtc/v4"

	"mehfooz/voice/internal/wipe"
	"mehfooz/voice/sas"
	"mehfooz/voice/setup"
)

// newCallPeer builds c's peer connection with this call's relay credentials
// and wires its callbacks to the Phone. It runs in a setup job.
func (p *Phone) newCallPeer(c *call, prewarm bool) (*peer, error) {
	servers, err := p.cfg.TURN(c.ctx, c.info())
	if err != nil {
		return nil, fmt.Errorf("voice: TURN credentials: %w", err)
	}
	pr, err := newPeer(peerConfig{
		id: p.cfg.Identity, roots: p.cfg.Roots, turnRoots: p.cfg.TURNRoots, ice: servers, prewarm: prewarm,
		log: p.log.With("call", c.idHex()), srtpProfiles: p.cfg.test.srtpProfiles,
	})
	if err != nil {
		return nil, err
	}
	// pion runs each handler in a goroutine of its own, so events can arrive
	// out of order: the handler reads the current state when it runs.
	pr.pc.OnConnectionStateChange(func(webrtc.PeerConnectionState) { p.post(c, pcChanged{c}) })
	pr.pc.OnTrack(func(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) { p.post(c, trackArrived{c, t, r}) })
	return pr, nil
}

// buildOffer is the caller's setup job: peer connection, offer, candidates.
func (p *Phone) buildOffer(c *call) {
	pr, err := p.newCallPeer(c, false)
	if err != nil {
		p.post(c, jobFailed{c, err})
		return
	}
	sdp, err := func() (string, error) {
		offer, err := pr.pc.CreateOffer(nil)
		if err != nil {
			return "", err
		}
		if err := pr.pc.SetLocalDescription(offer); err != nil {
			return "", err
		}
		return gather(c.ctx, pr.pc)
	}()
	if err != nil {
		pr.pc.Close()
		p.post(c, jobFailed{c, fmt.Errorf("voice: offer: %w", err)})
		return
	}
	if !p.handOver(c, offerReady{c: c, peer: pr, sdp: sdp}) {
		pr.pc.Close()
	}
}

// handOver posts ev and reports whether the Phone took it.
func (p *Phone) handOver(c *call, ev event) bool {
	select {
	case p.events <- ev:
		return true
	case <-c.ctx.Done():
		return false
	}
}

type jobFailed struct {
	c   *call
	err error
}

func (e jobFailed) handle(p *Phone) {
	if p.call != e.c {
		return
	}
	var se *SecurityError
	if errors.As(e.err, &se) {
		p.refuse(e.c, se.Check, se.Err)
		return
	}
	kind := EndNetwork
	if e.c.outgoing && e.c.phase == PhaseDialing {
		kind = EndUnreachable
	}
	p.finish(e.c, EndReason{Kind: kind, Detail: e.err.Error()}, setup.KindHangUp, string(kind))
}

type offerReady struct {
	c    *call
	peer *peer
	sdp  string
}

func (e offerReady) discard() { e.peer.pc.Close() }

func (e offerReady) handle(p *Phone) {
	c := e.c
	if p.call != c { // ended meanwhile: the teardown waits for nobody to close this
		e.peer.pc.Close()
		return
	}
	c.peer = e.peer
	p.spawn(c, func() { drainRTCP(c.peer.sender.ReadRTCP) })
	dk, err := mlkem.GenerateKey1024()
	if err != nil {
		p.finish(c, EndReason{Kind: EndNetwork, Detail: err.Error()}, 0, "")
		return
	}
	c.keys.dk = dk
	c.keys.myNonce = sas.NewNonce()
	m := p.msg(c, setup.KindInvite)
	m.SDP = e.sdp
	if p.cfg.test.mungeSDP != nil {
		m.SDP = p.cfg.test.mungeSDP(m.SDP)
	}
	m.KEM = dk.EncapsulationKey().Bytes()
	m.SAS = sas.Commit(c.id[:], c.keys.myNonce)
	if p.cfg.test.noInnerLayer {
		m.KEM = nil
	}
	c.invite = p.enqueue(c, m)
	p.arm(c, p.to.Dial, "ringing")
}

// prewarm runs while the callee's handset rings: it builds the peer
// connection with a candidate pool, so the TURN allocation is done before
// the user answers (the allocation's round trips to the relay no longer
// follow Answer). ICE does not start until the answer is set, so nothing reaches
// the caller before the user picks up.
func (p *Phone) prewarm(c *call) {
	pr, err := p.newCallPeer(c, true)
	if !p.handOver(c, peerWarm{c: c, peer: pr, err: err}) && pr != nil {
		pr.pc.Close()
	}
}

type peerWarm struct {
	c    *call
	peer *peer
	err  error
}

func (e peerWarm) discard() {
	if e.peer != nil {
		e.peer.pc.Close()
	}
}

func (e peerWarm) handle(p *Phone) {
	c := e.c
	if p.call != c {
		if e.peer != nil {
			e.peer.pc.Close()
		}
		return
	}
	c.warmed = true
	if e.err != nil {
		p.log.Warn("prepare the peer connection while ringing", "call", c.idHex(), "err", e.err)
	} else {
		c.peer = e.peer
		p.spawn(c, func() { drainRTCP(c.peer.sender.ReadRTCP) })
	}
	if c.answering {
		pr := c.peer
		p.spawn(c, func() { p.buildAnswer(c, pr) })
	}
}

// buildAnswer is the callee's setup job: the caller's offer on the peer
// connection (pr, or a new one when preparing it failed), our answer,
// candidates, and the ML-KEM encapsulation.
func (p *Phone) buildAnswer(c *call, pr *peer) {
	if err := setup.CheckSDPFingerprint(c.offer, c.peerFP); err != nil {
		p.post(c, jobFailed{c, &SecurityError{Check: CheckSDPFingerprint, Err: err}})
		return
	}
	if err := checkSDPMedia(c.offer); err != nil {
		p.post(c, jobFailed{c, &SecurityError{Check: CheckCodec, Err: err}})
		return
	}
	ek, err := mlkem.NewEncapsulationKey1024(c.peerKEM)
	if err != nil {
		p.post(c, jobFailed{c, &SecurityError{Check: CheckNoInnerLayer, Err: err}})
		return
	}
	fresh := pr == nil
	if fresh {
		if pr, err = p.newCallPeer(c, false); err != nil {
			p.post(c, jobFailed{c, err})
			return
		}
	}
	sdp, err := func() (string, error) {
		if err := pr.pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: c.offer}); err != nil {
			return "", err
		}
		answer, err := pr.pc.CreateAnswer(nil)
		if err != nil {
			return "", err
		}
		if err := pr.pc.SetLocalDescription(answer); err != nil {
			return "", err
		}
		return gather(c.ctx, pr.pc)
	}()
	if err != nil {
		if fresh {
			pr.pc.Close()
		}
		p.post(c, jobFailed{c, fmt.Errorf("voice: answer: %w", err)})
		return
	}
	secret, ct := ek.Encapsulate()
	if !p.handOver(c, answerReady{c: c, peer: pr, sdp: sdp, ct: ct, secret: secret}) {
		if fresh {
			pr.pc.Close()
		}
		wipe.Bytes(secret)
	}
}

type answerReady struct {
	c          *call
	peer       *peer
	sdp        string
	ct, secret []byte
}

func (e answerReady) discard() {
	e.peer.pc.Close() // closing twice (a warm peer the teardown closed) is harmless
	wipe.Bytes(e.secret)
}

func (e answerReady) handle(p *Phone) {
	c := e.c
	if p.call != c {
		if c.peer != e.peer { // a fresh one nobody else will close
			e.peer.pc.Close()
		}
		wipe.Bytes(e.secret)
		return
	}
	if c.peer == nil {
		c.peer = e.peer
		p.spawn(c, func() { drainRTCP(c.peer.sender.ReadRTCP) })
	}
	c.keys.kemSecret = e.secret
	c.keys.myNonce = sas.NewNonce()
	m := p.msg(c, setup.KindAnswer)
	m.SDP = e.sdp
	m.KEM = e.ct
	m.SAS = c.keys.myNonce
	c.answer = p.enqueue(c, m)
	p.arm(c, p.to.Connect, "connect")
}

// pcChanged: pion reports a new connection state.
type pcChanged struct{ c *call }

func (e pcChanged) handle(p *Phone) {
	c := e.c
	if p.call != c || c.peer == nil {
		return
	}
	st := c.peer.pc.ConnectionState()
	p.log.Debug("peer connection", "call", c.idHex(), "state", st)
	switch st {
	case webrtc.PeerConnectionStateConnected:
		c.requestSends = 0 // a later bearer change may ask again
		p.onConnected(c)
	case webrtc.PeerConnectionStateDisconnected:
		// Consent checks stopped coming back (RFC 7675): one side's bearer
		// changed without the daemon noticing, or the relay path broke. The
		// caller restarts ICE on its own, so either side's loss is repaired
		// and the two never restart at once.
		if c.outgoing && c.keys.opener != nil {
			p.startRestart(c)
		}
	case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
		if c.keys.opener == nil {
			// Never connected. If DTLS started and failed, or the peer closed
			// it (a refused side sees the close_notify and goes Closed,
			// since pion closes on the peer's close_notify), a DTLS check
			// refused the call; otherwise ICE
			// found no path.
			ds := c.peer.pc.SCTP().Transport().State()
			if ds == webrtc.DTLSTransportStateFailed || ds == webrtc.DTLSTransportStateClosed ||
				st == webrtc.PeerConnectionStateClosed || dtlsCheck(c.peer.plog.lines()) != CheckDTLS {
				// pion may log the reason just after the state changes.
				if dtlsCheck(c.peer.plog.lines()) == CheckDTLS && c.timerWhat != "dtls" {
					p.arm(c, dtlsVerdictWait, "dtls")
					return
				}
				p.dtlsRefused(c)
				return
			}
		}
		if c.keys.opener == nil {
			p.finish(c, EndReason{Kind: EndNetwork, Detail: "peer connection " + st.String()}, setup.KindHangUp, string(EndNetwork))
			return
		}
		// The media path is gone after the call was up. A peer that hung up
		// or refused closes DTLS at once and says why over signaling, which
		// may arrive a little later: give it that long before calling it a
		// network failure.
		if c.timerWhat != "closing" {
			p.arm(c, closeGrace, "closing")
		}
	}
}

// dtlsRefused ends a call whose DTLS handshake failed, naming the check.
func (p *Phone) dtlsRefused(c *call) {
	lines := c.peer.plog.lines()
	p.refuse(c, dtlsCheck(lines), fmt.Errorf("DTLS handshake failed: %s", strings.Join(lines, "; ")))
}

// dtlsVerdictWait is how long a failed handshake waits for pion to log why.
const dtlsVerdictWait = 300 * time.Millisecond

// closeGrace is how long a call whose media path closed waits for the peer's
// signaled reason.
const closeGrace = 2 * time.Second

// onConnected checks what DTLS negotiated, derives the call keys and starts
// the audio. Until it has run, no frame is sealed or opened.
func (p *Phone) onConnected(c *call) {
	if c.keys.opener != nil { // back after an ICE restart
		p.holdPhase(c)
		return
	}
	// pion checked the certificate against the SDP fingerprint and the CA;
	// check again that it is the whitelisted one the signed message named.
	// (Read here, never in a DTLSTransport callback: pion runs those with the
	// transport's lock held, and GetRemoteCertificate would deadlock.)
	der := c.peer.pc.SCTP().Transport().GetRemoteCertificate()
	if fp := sha256.Sum256(der); subtle.ConstantTimeCompare(fp[:], c.peerFP[:]) != 1 {
		p.refuse(c, CheckDTLSCertificate, errors.New("DTLS peer certificate is not the whitelisted one"))
		return
	}
	if err := checkNegotiated(c.peer.pc); err != nil {
		p.refuse(c, err.Check, err.Err)
		return
	}
	binding, err := c.peer.bind.get()
	if err != nil {
		p.refuse(c, CheckDTLSBinding, err)
		return
	}
	if err := c.deriveKeys(binding); err != nil {
		p.refuse(c, CheckDTLSBinding, err)
		return
	}
	p.disarm(c)
	if c.outgoing {
		// Reveal only now: DTLS and ML-KEM have fixed the keys, so the
		// nonce comes too late for anyone to steer the code (package sas).
		m := p.msg(c, setup.KindReveal)
		m.SAS = c.keys.myNonce
		if p.cfg.test.badReveal {
			m.SAS = sas.NewNonce()
		}
		if !p.cfg.test.noReveal {
			p.enqueue(c, m)
		}
		p.showSAS(c)
	} else if c.keys.peerNonce != nil {
		p.showSAS(c)
	} else {
		p.arm(c, p.to.Reveal, "reveal")
	}
	if c.end != nil {
		return
	}
	stream, err := p.cfg.Media.Open(c.info())
	if err != nil {
		p.finish(c, EndReason{Kind: EndNetwork, Detail: "audio: " + err.Error()}, setup.KindHangUp, string(EndNetwork))
		return
	}
	c.stream = stream
	p.setPhase(c, PhaseConnected)
	p.spawn(c, func() { p.sendLoop(c) })
	p.spawn(c, func() { p.statsLoop(c) })
	if c.remote != nil {
		p.spawn(c, func() { p.recvLoop(c) })
	}
}

// checkNegotiated confirms the DTLS cipher suite and SRTP profile: our
// settings allow nothing else, and this proves it on every call.
func checkNegotiated(pc *webrtc.PeerConnection) *SecurityError {
	for _, s := range pc.GetStats() {
		ts, ok := s.(webrtc.TransportStats)
		if !ok {
			continue
		}
		if ts.SRTPCipher != "SRTP_AEAD_AES_256_GCM" {
			return &SecurityError{Check: CheckSRTPProfile, Err: fmt.Errorf("negotiated %q", ts.SRTPCipher)}
		}
		if ts.DTLSCipher != "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" {
			return &SecurityError{Check: CheckDTLSParameters, Err: fmt.Errorf("negotiated %q", ts.DTLSCipher)}
		}
		return nil
	}
	return &SecurityError{Check: CheckSRTPProfile, Err: errors.New("no transport statistics")}
}

// trackArrived: the peer's audio track is here.
type trackArrived struct {
	c *call
	t *webrtc.TrackRemote
	r *webrtc.RTPReceiver
}

func (e trackArrived) handle(p *Phone) {
	c := e.c
	if p.call != c || c.remote != nil {
		return
	}
	c.remote = e.t
	c.remoteSSRC.Store(uint32(e.t.SSRC()))
	p.spawn(c, func() { drainRTCP(e.r.ReadRTCP) })
	if c.stream != nil {
		p.spawn(c, func() { p.recvLoop(c) })
	}
}
