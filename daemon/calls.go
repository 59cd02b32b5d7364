package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"mehfooz/clock"
	"mehfooz/daemon/api"
	"mehfooz/daemon/state"
	"mehfooz/exchange/client"
	"mehfooz/exchange/wire"
	"mehfooz/voice"
	"mehfooz/voice/audio"
	"mehfooz/voice/setup"
)

// CallsConfig is what the handset's calls need besides the link.
type CallsConfig struct {
	// Audio opens one call's capture source and playout sink (48 kHz mono
	// 20 ms frames): the sound card on a handset, files on the sim board.
	// The stream closes both when the call ends.
	Audio    func(info voice.CallInfo) (audio.Source, audio.Sink, error)
	Clock    clock.Clock
	Timeouts voice.Timeouts
}

// Calls runs the handset's secure calls (package voice) over the link to
// the exchange: it adapts the exchange client to the call's signaling,
// the trust gate to its peer checks, and the audio pipeline to its media,
// routes the call intents, and mirrors the call into the state stream.
type Calls struct {
	d     *Daemon
	cfg   CallsConfig
	log   *slog.Logger
	muted atomic.Bool
	// bearerChanges counts the new bearers passed to the Phone; redialed
	// is set while the link reconnects after one.
	bearerChanges atomic.Int64
	redialed      atomic.Bool

	mu    sync.Mutex
	phone *voice.Phone
	sig   *exchangeSignaling
	names map[string]string // device ID -> display name, from the contacts
	last  voice.State
}

// NewCalls returns the calls subsystem; LinkConfig.Calls runs it.
func NewCalls(d *Daemon, cfg CallsConfig) *Calls {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	return &Calls{d: d, cfg: cfg, log: d.log.With("subsystem", "calls"), names: map[string]string{}}
}

var callIntents = []state.IntentKind{state.IntentDial, state.IntentAnswer, state.IntentReject,
	state.IntentHangUp, state.IntentHold, state.IntentMute, state.IntentSASVerdict}

// run runs the Phone over l until ctx ends.
func (c *Calls) run(ctx context.Context, l *link) error {
	ks := l.cfg.Keys.Store()
	signer, err := ks.Signer()
	if err != nil {
		return fmt.Errorf("calls: device key: %w", err)
	}
	sig := &exchangeSignaling{c: l.c, in: make(chan routed, 64), log: c.log}
	phone, err := voice.NewPhone(voice.Config{
		Identity:  voice.Identity{DeviceID: string(l.self), Cert: l.cert, Key: signer},
		Peers:     &peerChecks{l: l},
		Roots:     l.cfg.Verifier.Pool(),
		TURN:      func(ctx context.Context, ci voice.CallInfo) ([]voice.ICEServer, error) { return turn(ctx, l.c, ci) },
		Signaling: sig,
		Media: &voice.AudioMedia{
			Devices: c.devices,
			Clock:   c.cfg.Clock,
			Log:     c.log,
		},
		Clock:     c.cfg.Clock,
		Log:       c.log,
		OnUpdate:  c.publish,
		OnRefusal: c.refusal,
		Timeouts:  c.cfg.Timeouts,
	})
	if err != nil {
		return fmt.Errorf("calls: %w", err)
	}
	c.mu.Lock()
	c.phone, c.sig = phone, sig
	c.mu.Unlock()
	for _, k := range callIntents {
		c.d.Handle(k, c.intent)
	}
	defer func() {
		for _, k := range callIntents {
			c.d.Handle(k, nil)
		}
		c.mu.Lock()
		c.phone, c.sig = nil, nil
		c.mu.Unlock()
	}()
	// A new data bearer under a call: restart its ICE at once.
	watch, stopWatch := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.d.watchBearer(watch, func() {
			c.bearerChanges.Add(1)
			// The link to the exchange rides the old bearer too: redial it,
			// and tell the call again once it is back (linkUp), when its
			// restart offer or request can get through.
			c.redialed.Store(true)
			l.c.Redial()
			phone.BearerChanged()
		})
	}()
	defer func() { stopWatch(); wg.Wait() }()
	return phone.Run(ctx)
}

func (c *Calls) current() *voice.Phone {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.phone
}

// intent carries out a call intent; a refusal in the current call phase is
// reported as api.ErrRejected.
func (c *Calls) intent(_ context.Context, in state.Intent) error {
	p := c.current()
	if p == nil {
		return fmt.Errorf("%s: %w: not connected to the exchange", in.Kind, api.ErrRejected)
	}
	var err error
	switch in.Kind {
	case state.IntentDial:
		err = p.Dial(in.ContactID)
	case state.IntentAnswer:
		err = p.Answer()
	case state.IntentReject:
		err = p.Decline()
	case state.IntentHangUp:
		err = p.HangUp()
	case state.IntentHold:
		err = p.Hold(in.On)
	case state.IntentSASVerdict:
		err = p.ConfirmSAS(in.Match)
	case state.IntentMute:
		c.muted.Store(in.On)
		c.d.hub.Update(func(s *state.Snapshot) { s.Call.Muted = in.On })
	}
	if err != nil {
		return fmt.Errorf("%s: %w: %v", in.Kind, api.ErrRejected, err)
	}
	return nil
}

// publish mirrors the Phone's state into the Snapshot; it runs on the
// Phone's goroutine and must not block.
func (c *Calls) publish(v voice.State) {
	c.mu.Lock()
	prev := c.last
	c.last = v
	name := c.names[v.PeerID]
	c.mu.Unlock()
	if v.Phase == voice.PhaseIdle || v.Phase == voice.PhaseEnded {
		c.muted.Store(false)
	}
	call := state.Call{
		Phase: callPhase(v.Phase), ID: v.CallID, PeerID: v.PeerID, PeerName: name, Outgoing: v.Outgoing,
		Since: v.Since, SAS: v.SAS, SASVerdict: state.SASVerdict(v.Verdict), Muted: c.muted.Load(),
		Quality: quality(v.Quality),
	}
	if v.End != nil {
		call.EndReason = v.End.String()
	}
	c.d.hub.Update(func(s *state.Snapshot) { s.Call = call })
	if v.Phase == voice.PhaseEnded && prev.Phase != voice.PhaseEnded && v.End != nil && v.End.Kind == voice.EndSecurity {
		c.securityAlert(v)
	}
}

func (c *Calls) securityAlert(v voice.State) {
	who := v.PeerID
	if n := c.names[who]; n != "" {
		who = n + " (" + v.PeerID + ")"
	}
	switch v.End.Check {
	case voice.CheckSASMismatch:
		c.d.Raise(state.AlertSASMismatch, state.SeverityCritical, "Security codes differed",
			"The call with "+who+" was ended: someone may be listening in. Report this.")
	case voice.CheckRevoked:
		c.d.Raise(state.AlertRevokedPeer, state.SeverityCritical, "Contact revoked",
			"The call with "+who+" was ended: that handset has been revoked.")
	default:
		c.d.Raise(state.AlertCallRefused, state.SeverityCritical, "Call refused for security",
			"The call with "+who+" failed a check: "+v.End.String()+".")
	}
}

// refusal reports a setup message refused before it could start or change
// a call: an attack or a misconfigured peer, for the log and the alerts.
func (c *Calls) refusal(r voice.Refusal) {
	c.log.Warn("call message refused", "from", r.From, "kind", r.Kind, "check", r.Check, "err", r.Err)
	if errors.Is(r.Err, errPinMismatch) {
		c.d.Raise(state.AlertPinnedKey, state.SeverityCritical, "Contact's key changed",
			r.From+" presented a key that differs from the one pinned, without a new directory entry.")
	}
}

func callPhase(p voice.Phase) state.CallPhase {
	switch p {
	case voice.PhaseDialing:
		return state.CallDialing
	case voice.PhaseRinging:
		return state.CallRinging
	case voice.PhaseIncoming:
		return state.CallIncoming
	case voice.PhaseConnecting, voice.PhaseConnected:
		// Connecting shows the in-call screen, without a code until the
		// keys are up.
		return state.CallConnected
	case voice.PhaseOnHold:
		return state.CallOnHold
	case voice.PhaseEnded:
		return state.CallEnded
	}
	return state.CallIdle
}

func quality(q voice.Quality) state.Quality {
	loss := max(q.LossPct, q.InboundLossPct)
	rtt := float64(q.RTT) / float64(time.Millisecond)
	bars := 5
	switch {
	case loss > 20 || rtt > 600:
		bars = 1
	case loss > 10 || rtt > 400:
		bars = 2
	case loss > 5 || rtt > 250:
		bars = 3
	case loss > 1 || rtt > 150:
		bars = 4
	}
	return state.Quality{RTTms: rtt, LossPct: loss, JitterMs: q.JitterMs, BitrateKbps: q.BitrateKbps, Bars: bars}
}

// contacts records display names for the call screens.
func (c *Calls) contacts(cs []state.Contact) {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.names)
	for _, k := range cs {
		c.names[k.ID] = k.Name
	}
}

// devices opens a call's audio devices, with the capture muteable.
func (c *Calls) devices(info voice.CallInfo) (audio.Source, audio.Sink, error) {
	src, sink, err := c.cfg.Audio(info)
	if err != nil {
		return nil, nil, err
	}
	return &mutable{Source: src, muted: &c.muted}, sink, nil
}

// routed hands a call message from the exchange to the Phone.
func (c *Calls) routed(env wire.Envelope) {
	c.mu.Lock()
	sig := c.sig
	c.mu.Unlock()
	if sig != nil {
		sig.deliver(env)
	}
}

// ended: the exchange closed a call (peer revoked, policy changed, a party
// gone). The Phone learns of a revocation through revocationsChanged; for
// the rest its own timeouts and the peer's hang-up end the call.
func (c *Calls) ended(id wire.CallID, code string) {
	c.log.Info("exchange ended a call", "call", id, "code", code)
}

// refused: the exchange refused a message this handset sent; an invite it
// refused (callee offline, not allowed) ends the dialling call at once.
func (c *Calls) refused(id wire.CallID, code string) {
	c.log.Info("exchange refused a call message", "call", id, "code", code)
	if p := c.current(); p != nil {
		p.Undelivered(id, code)
	}
}

// revocationsChanged ends a call with a peer the new list revokes.
func (c *Calls) revocationsChanged(l *link) {
	c.mu.Lock()
	p, peer := c.phone, c.last.PeerID
	c.mu.Unlock()
	if p != nil && peer != "" && l.gate.Revoked(trustID(peer)) != nil {
		p.Revoked(peer)
	}
}

// wiped ends any call: the device key is gone.
func (c *Calls) wiped() {
	if p := c.current(); p != nil {
		p.HangUp()
	}
}

// turn asks the exchange for this call's relay credentials.
func turn(ctx context.Context, c *client.Client, ci voice.CallInfo) ([]voice.ICEServer, error) {
	g, err := c.TURN(ctx, wire.CallID(ci.ID), ci.PeerID)
	if err != nil {
		return nil, fmt.Errorf("turn credentials: %w", err)
	}
	return []voice.ICEServer{{URLs: g.URLs, Username: g.Username, Credential: g.Password}}, nil
}

// routeKinds maps call-setup message kinds to the exchange's envelope kinds.
var routeKinds = map[setup.Kind]wire.RouteKind{
	setup.KindInvite: wire.Invite, setup.KindRinging: wire.Ringing, setup.KindAnswer: wire.Answer,
	setup.KindReveal: wire.Reveal, setup.KindDecline: wire.Decline, setup.KindBusy: wire.Busy,
	setup.KindHangUp: wire.Hangup, setup.KindRestart: wire.RestartOffer,
	setup.KindRestartAnswer: wire.RestartAnswer, setup.KindHold: wire.Hold, setup.KindRefuse: wire.Refuse,
	// The exchange routes a request like the offer it asks for.
	setup.KindRestartRequest: wire.RestartOffer,
}

type routed struct {
	from string
	msg  []byte
}

// exchangeSignaling is voice.Signaling over the exchange client. The
// envelope's kind and call ID are read from the message's own (signed)
// header, so the exchange can enforce its routing rules without being able
// to read or change what it routes.
type exchangeSignaling struct {
	c   *client.Client
	in  chan routed
	log *slog.Logger
}

func (s *exchangeSignaling) Send(ctx context.Context, to string, msg []byte) error {
	m, _, err := setup.Peek(msg)
	if err != nil {
		return fmt.Errorf("signaling: %w", err)
	}
	kind, ok := routeKinds[m.Kind]
	if !ok {
		return fmt.Errorf("signaling: no envelope for %s", m.Kind)
	}
	err = s.c.Send(ctx, wire.Envelope{Kind: kind, Call: wire.CallID(m.CallID), To: to, Body: msg})
	if errors.Is(err, client.ErrNotConnected) {
		return fmt.Errorf("%w: %v", voice.ErrUnreachable, err)
	}
	return err
}

func (s *exchangeSignaling) Recv(ctx context.Context) (string, []byte, error) {
	select {
	case r := <-s.in:
		return r.from, r.msg, nil
	case <-ctx.Done():
		return "", nil, ctx.Err()
	}
}

// deliver queues a routed message without blocking the link's event loop;
// a Phone that far behind loses the message, as on a lossy network.
func (s *exchangeSignaling) deliver(env wire.Envelope) {
	select {
	case s.in <- routed{from: env.From, msg: env.Body}:
	default:
		s.log.Warn("call message dropped: phone busy", "from", env.From, "kind", env.Kind)
	}
}

// mutable sends silence while muted, so the packets keep their constant
// size and rate: nobody on the path can tell a muted handset.
type mutable struct {
	audio.Source
	muted *atomic.Bool
}

func (m *mutable) ReadFrame(pcm []int16) error {
	err := m.Source.ReadFrame(pcm)
	if m.muted.Load() {
		clear(pcm)
	}
	return err
}

// linkUp is told when the link to the exchange (re)connects. After a
// bearer change it tells the call again: the restart messages sent while
// the link was down are sent again now.
func (c *Calls) linkUp() {
	if !c.redialed.Swap(false) {
		return
	}
	if p := c.current(); p != nil {
		p.BearerChanged()
	}
}
