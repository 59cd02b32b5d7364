package voice

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"mehfooz/clock"
	"mehfooz/voice/setup"
)

// Errors of the Phone's methods.
var (
	// ErrBusy: Dial while a call is in progress.
	ErrBusy = errors.New("voice: already in a call")
	// ErrNoCall: the method needs a call in another phase.
	ErrNoCall = errors.New("voice: no call in that phase")
	// ErrStopped: the Phone's Run has returned.
	ErrStopped = errors.New("voice: phone stopped")
)

// Phone runs this handset's calls, one at a time.
type Phone struct {
	cfg Config
	clk clock.Clock
	log *slog.Logger
	rx  *setup.Receiver
	to  Timeouts

	events  chan event
	out     chan outbound
	running chan struct{} // closed when Run starts
	stopped chan struct{} // closed when Run has returned

	mu    sync.Mutex
	state State // last published

	// Owned by Run's goroutine.
	call      *call
	gen       uint64
	teardowns sync.WaitGroup
}

// NewPhone checks cfg and returns a Phone; Run brings it to life.
func NewPhone(cfg Config) (*Phone, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.TURNRoots == nil {
		cfg.TURNRoots = cfg.Roots
	}
	return &Phone{
		cfg:     cfg,
		clk:     cfg.Clock,
		log:     cfg.Log.With("device", cfg.Identity.DeviceID),
		rx:      setup.NewReceiver(cfg.Identity, cfg.Peers, cfg.Clock),
		to:      cfg.Timeouts.withDefaults(),
		events:  make(chan event, 64),
		out:     make(chan outbound, 64),
		running: make(chan struct{}),
		stopped: make(chan struct{}),
		state:   State{Phase: PhaseIdle},
	}, nil
}

// State returns the last published State.
func (p *Phone) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Run receives and places calls until ctx is done. On return any call has
// ended and every goroutine the Phone started has stopped.
func (p *Phone) Run(ctx context.Context) error {
	close(p.running)
	defer close(p.stopped)
	ctx, cancel := context.WithCancel(ctx)
	quit := make(chan struct{})
	var helpers sync.WaitGroup
	helpers.Add(2)
	go func() { defer helpers.Done(); p.receive(ctx) }()
	go func() { defer helpers.Done(); p.send(quit) }()
	defer func() {
		if c := p.call; c != nil {
			p.finish(c, EndReason{Kind: EndHungUp, Detail: "phone stopped"}, setup.KindHangUp, "hung-up")
		}
		p.teardowns.Wait()
		cancel()
		close(quit) // the sender delivers what is queued (the hang-up), then stops
		helpers.Wait()
		p.discardQueued()
	}()
	for {
		var timerC <-chan time.Time
		if c := p.call; c != nil && c.timer != nil {
			timerC = c.timer.C()
		}
		select {
		case <-ctx.Done():
			return nil
		case ev := <-p.events:
			ev.handle(p)
		case <-timerC:
			p.timeout(p.call)
		}
	}
}

// event is anything that happens to the Phone; handle runs on Run's goroutine.
type event interface{ handle(p *Phone) }

// holder is an event that carries a resource (a peer connection, a secret)
// which must be released if the event is never handled.
type holder interface{ discard() }

// discardQueued releases what events still queued when Run stops hold: a
// setup job may have handed over a peer connection just as its call ended.
func (p *Phone) discardQueued() {
	for {
		select {
		case ev := <-p.events:
			if h, ok := ev.(holder); ok {
				h.discard()
			}
		default:
			return
		}
	}
}

// request runs fn on Run's goroutine and waits for its result.
type request struct {
	fn   func() error
	done chan error
}

func (r request) handle(*Phone) { r.done <- r.fn() }

func (p *Phone) do(fn func() error) error {
	select { // before Run starts, wait for it
	case <-p.running:
	case <-p.stopped:
		return ErrStopped
	}
	r := request{fn: fn, done: make(chan error, 1)}
	select {
	case p.events <- r:
	case <-p.stopped:
		return ErrStopped
	}
	select {
	case err := <-r.done:
		return err
	case <-p.stopped:
		return ErrStopped
	}
}

// post hands an event from one of c's goroutines to the Phone, unless the
// call has ended (then nobody is waiting for it).
func (p *Phone) post(c *call, ev event) {
	select {
	case p.events <- ev:
	case <-c.ctx.Done():
	}
}

// publish records and reports the current call's state.
func (p *Phone) publish(c *call) {
	s := c.state()
	p.mu.Lock()
	p.state = s
	p.mu.Unlock()
	if p.cfg.OnUpdate != nil {
		p.cfg.OnUpdate(s)
	}
}

// setPhase moves c to ph and publishes.
func (p *Phone) setPhase(c *call, ph Phase) {
	if c.phase == ph {
		return
	}
	c.phase, c.since = ph, p.clk.Now()
	p.publish(c)
}

// arm sets c's single phase timer.
func (p *Phone) arm(c *call, d time.Duration, what string) {
	p.disarm(c)
	c.timer, c.timerWhat = p.clk.NewTimer(d), what
}

func (p *Phone) disarm(c *call) {
	if c.timer != nil {
		c.timer.Stop()
		c.timer, c.timerWhat = nil, ""
	}
}

func (p *Phone) timeout(c *call) {
	if c == nil {
		return
	}
	what := c.timerWhat
	c.timer, c.timerWhat = nil, ""
	p.log.Info("call timeout", "call", c.idHex(), "waiting for", what)
	switch what {
	case "ringing":
		p.finish(c, EndReason{Kind: EndUnreachable, Detail: "no ringing from the callee"}, setup.KindHangUp, "unreachable")
	case "answer":
		p.finish(c, EndReason{Kind: EndNoAnswer}, setup.KindHangUp, "no-answer")
	case "connect":
		p.finish(c, EndReason{Kind: EndNetwork, Detail: "media path did not come up"}, setup.KindHangUp, "network")
	case "reveal":
		p.refuse(c, CheckCommitment, errors.New("the caller never revealed its SAS nonce"))
	case "dtls":
		p.dtlsRefused(c)
	case "closing":
		p.finish(c, EndReason{Kind: EndNetwork, Detail: "media path closed"}, setup.KindHangUp, string(EndNetwork))
	case "gather":
		p.finish(c, EndReason{Kind: EndNetwork, Detail: "no relay candidates"}, setup.KindHangUp, "network")
	}
}

// newCall makes the Phone's call.
func (p *Phone) newCall(peerID string, outgoing bool) *call {
	p.gen++
	ctx, cancel := context.WithCancel(context.Background())
	c := &call{gen: p.gen, peerID: peerID, outgoing: outgoing, ctx: ctx, cancel: cancel, since: p.clk.Now()}
	p.call = c
	return c
}

// finish ends c: tells the peer (when tell is not zero), publishes the end,
// and tears the media path down in the background, erasing every secret.
func (p *Phone) finish(c *call, why EndReason, tell setup.Kind, reason string) {
	if c.end != nil {
		return
	}
	p.disarm(c)
	c.end = &why
	if why.Kind == EndSecurity {
		c.alarm = true
	}
	if tell != 0 {
		m := p.msg(c, tell)
		m.Reason = reason
		p.enqueue(c, m)
	}
	c.phase, c.since = PhaseEnded, p.clk.Now()
	p.log.Info("call ended", "call", c.idHex(), "peer", c.peerID, "reason", why.String(), "detail", why.Detail)
	if p.call == c {
		p.call = nil
	}
	c.cancel()
	p.teardowns.Add(1)
	go func() {
		defer p.teardowns.Done()
		if c.peer != nil {
			if err := c.peer.pc.Close(); err != nil {
				p.log.Debug("close peer connection", "err", err)
			}
		}
		c.wg.Wait()
		if c.stream != nil {
			if err := c.stream.Close(); err != nil {
				p.log.Debug("close media stream", "err", err)
			}
		}
		if c.peer != nil {
			c.peer.bind.erase()
		}
		c.keys.erase()
	}()
	p.publish(c)
}

// refuse ends c because check failed, and tells the peer which check.
func (p *Phone) refuse(c *call, check Check, err error) {
	p.log.Warn("call refused", "call", c.idHex(), "peer", c.peerID, "check", check, "err", err)
	p.finish(c, EndReason{Kind: EndSecurity, Check: check, Detail: err.Error()}, setup.KindRefuse, "security: "+string(check))
}

// msg starts a message of c from us to the peer.
func (p *Phone) msg(c *call, kind setup.Kind) *setup.Message {
	c.seqOut++
	m := &setup.Message{
		Kind: kind, CallID: c.id, To: c.peerID, ToFP: c.peerFP,
		Seq: c.seqOut, Time: p.clk.Now(),
	}
	if kind != setup.KindInvite {
		m.Ref = c.invite
	}
	rand.Read(m.Nonce[:])
	return m
}

// outbound is a signed message on its way to the exchange.
type outbound struct {
	c    *call
	kind setup.Kind
	to   string
	raw  []byte
}

// enqueue signs m and queues it for sending. It returns the body's digest.
func (p *Phone) enqueue(c *call, m *setup.Message) [setup.RefLen]byte {
	raw, digest, err := setup.Sign(m, p.cfg.Identity)
	if err != nil {
		p.log.Error("sign setup message", "kind", m.Kind, "err", err)
		return digest
	}
	select {
	case p.out <- outbound{c: c, kind: m.Kind, to: m.To, raw: raw}:
	default:
		p.log.Error("signaling queue full; message dropped", "kind", m.Kind)
	}
	return digest
}

// send delivers queued messages in order, off the Phone's goroutine, so a
// slow exchange never stalls a call. When quit closes it delivers what is
// still queued, each with a short deadline, and returns.
func (p *Phone) send(quit <-chan struct{}) {
	deliver := func(o outbound, report bool) {
		ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
		defer cancel()
		err := p.cfg.Signaling.Send(ctx, o.to, o.raw)
		if err == nil || o.c == nil {
			return
		}
		p.log.Warn("send setup message", "kind", o.kind, "to", o.to, "err", err)
		if report {
			select {
			case p.events <- sendFailed{c: o.c, kind: o.kind, err: err}:
			case <-quit:
			}
		}
	}
	for {
		select {
		case o := <-p.out:
			deliver(o, true)
		case <-quit:
			for {
				select {
				case o := <-p.out:
					deliver(o, false)
				default:
					return
				}
			}
		}
	}
}

// sendTimeout bounds one delivery to the exchange.
const sendTimeout = 5 * time.Second

type sendFailed struct {
	c    *call
	kind setup.Kind
	err  error
}

func (e sendFailed) handle(p *Phone) {
	if p.call != e.c || e.c.end != nil {
		return
	}
	switch e.kind {
	case setup.KindInvite:
		p.finish(e.c, EndReason{Kind: EndUnreachable, Detail: e.err.Error()}, 0, "")
	case setup.KindRestart:
		// The link to the exchange is down too (the same bearer changed):
		// send the offer again shortly.
		p.log.Warn("ICE restart offer not sent", "call", e.c.idHex(), "err", e.err)
		e.c.restartFailed(p)
	case setup.KindRestartRequest:
		p.log.Warn("ICE restart request not sent", "call", e.c.idHex(), "err", e.err)
		p.after(e.c, restartRetry, restartRequestAgain{c: e.c, offersSeen: e.c.offersSeen})
	}
}

// receive feeds incoming messages to the Phone.
func (p *Phone) receive(ctx context.Context) {
	for {
		from, raw, err := p.cfg.Signaling.Recv(ctx)
		if err != nil {
			if ctx.Err() == nil {
				p.log.Warn("signaling receive", "err", err)
				select {
				case <-ctx.Done():
				case <-p.clk.After(time.Second): // the exchange client reconnects underneath
				}
				continue
			}
			return
		}
		select {
		case p.events <- inbound{from: from, raw: raw}:
		case <-ctx.Done():
			return
		}
	}
}

func (p *Phone) String() string { return fmt.Sprintf("phone(%s)", p.cfg.Identity.DeviceID) }
