package client

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"mehfooz/exchange/wire"
)

// conn is one admitted connection: the reader runs in Run's goroutine, the
// writer (which also pings) in its own, started and awaited by session.
type conn struct {
	tc    *tls.Conn
	out   chan outbound
	quit  chan struct{}
	wdone chan struct{}
	last  atomic.Int64 // Unix nanos of the last frame received

	mu      sync.Mutex
	pending []*pending
}

type outbound struct {
	m wire.Message
	p *pending
}

// pending is a request waiting for its answer.
type pending struct {
	kind wire.Kind
	call wire.CallID
	seq  uint64 // set by the writer just before it writes the frame
	done chan reply
}

type reply struct {
	grant *wire.TURNGrant
	err   error
}

func (p *pending) answer(r reply) {
	select {
	case p.done <- r:
	default:
	}
}

// deadline returns a context that ends with ctx or after d on the client's
// clock, and its cancel function (which waits for the timer goroutine).
func (c *Client) deadline(ctx context.Context, d time.Duration) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	t := c.clk.NewTimer(d)
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-t.C():
			cancel()
		case <-ctx.Done():
			t.Stop()
		}
	})
	return ctx, func() { cancel(); wg.Wait() }
}

// session makes one connection and serves it until it ends. welcomed says
// the exchange admitted the handset.
func (c *Client) session(ctx context.Context) (welcomed bool, err error) {
	hctx, cancel := c.deadline(ctx, c.cfg.HandshakeTimeout)
	defer cancel()
	raw, err := c.cfg.Dial(hctx, "tcp", c.cfg.Addr)
	if err != nil {
		return false, fmt.Errorf("client: dial %s: %w", c.cfg.Addr, err)
	}
	defer raw.Close()
	// Until the Welcome, the handshake deadline closes the connection; after
	// it, only the end of ctx does.
	stopH := context.AfterFunc(hctx, func() { raw.Close() })
	tc := tls.Client(raw, c.tls)
	if err := tc.HandshakeContext(hctx); err != nil {
		return false, fmt.Errorf("client: TLS handshake with %s: %w", c.cfg.Addr, err)
	}
	w := wire.NewWriter(tc)
	if _, err := w.Write(&wire.Hello{Directory: c.cfg.Directory(), Revocations: c.cfg.Revocations(), Software: c.cfg.Software}); err != nil {
		return false, fmt.Errorf("client: hello: %w", err)
	}
	r := wire.NewReader(tc, wire.FromExchange)
	_, m, err := r.Read()
	if err != nil {
		return false, fmt.Errorf("client: waiting for welcome: %w", err)
	}
	if !stopH() {
		return false, fmt.Errorf("client: welcome after the handshake timeout")
	}
	cancel() // the handshake deadline is over; only ctx ends the connection now
	stopRun := context.AfterFunc(ctx, func() { raw.Close() })
	defer stopRun()
	var welcome *wire.Welcome
	switch m := m.(type) {
	case *wire.Welcome:
		welcome = m
	case *wire.Error:
		return false, &Refusal{Code: m.Code, Reason: m.Reason}
	default:
		return false, fmt.Errorf("client: first frame %v, want welcome", m.Kind())
	}

	cs := tc.ConnectionState()
	cn := &conn{tc: tc, out: make(chan outbound, 64), quit: make(chan struct{}), wdone: make(chan struct{})}
	cn.last.Store(c.clk.Now().UnixNano())
	c.mu.Lock()
	c.conn = cn
	c.state = State{Connected: true, Device: welcome.Device, Group: cs.CurveID, Since: c.clk.Now()}
	c.mu.Unlock()
	c.log.Info("connected to the exchange", "device", welcome.Device, "group", cs.CurveID.String())
	go c.writeLoop(cn, w)

	if c.emit(ctx, &Connected{Device: welcome.Device, Group: cs.CurveID, ExchangeTime: time.UnixMilli(welcome.Time),
		Directory: welcome.Directory, Revocations: welcome.Revocations}) {
		err = c.readLoop(ctx, cn, r, welcome.Device)
	}

	c.mu.Lock()
	c.conn = nil
	c.mu.Unlock()
	close(cn.quit)
	tc.Close()
	<-cn.wdone
	cn.mu.Lock()
	for _, p := range cn.pending {
		p.answer(reply{err: ErrNotConnected})
	}
	cn.pending = nil
	cn.mu.Unlock()
	return true, err
}

// writeLoop owns the connection's writes and pings it when idle.
func (c *Client) writeLoop(cn *conn, w *wire.Writer) {
	defer close(cn.wdone)
	t := c.clk.NewTicker(c.cfg.PingInterval)
	defer t.Stop()
	var nonce uint64
	for {
		select {
		case o := <-cn.out:
			if o.p != nil {
				cn.mu.Lock()
				o.p.seq = w.Next()
				cn.mu.Unlock()
			}
			if _, err := w.Write(o.m); err != nil {
				c.log.Debug("write to exchange failed", "err", err)
				cn.tc.Close()
				return
			}
		case now := <-t.C():
			if now.Sub(time.Unix(0, cn.last.Load())) >= 3*c.cfg.PingInterval {
				c.log.Info("exchange silent for three ping intervals; reconnecting")
				cn.tc.Close()
				return
			}
			nonce++
			if _, err := w.Write(&wire.Ping{Nonce: nonce}); err != nil {
				cn.tc.Close()
				return
			}
		case <-cn.quit:
			return
		}
	}
}

// readLoop delivers frames until the connection ends.
func (c *Client) readLoop(ctx context.Context, cn *conn, r *wire.Reader, device string) error {
	for {
		_, m, err := r.Read()
		if err != nil {
			if errors.Is(err, net.ErrClosed) && ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("client: read: %w", err)
		}
		cn.last.Store(c.clk.Now().UnixNano())
		var e Event
		switch m := m.(type) {
		case *wire.Pong:
		case *wire.Routed:
			e = &Routed{Envelope: m.Envelope}
		case *wire.Presence:
			e = &PresenceUpdate{Full: m.Full, Online: m.Online, Offline: m.Offline}
		case *wire.DirectoryPush:
			e = &DirectoryUpdate{Bundle: m.Bundle}
		case *wire.RevocationPush:
			e = &RevocationUpdate{Bundle: m.Bundle}
		case *wire.CallEnded:
			e = &CallEnded{Call: m.Call, Code: m.Code}
		case *wire.Wipe:
			o, who, err := c.checkWipe(m.Order, device)
			if err != nil {
				c.log.Error("wipe order refused", "err", err)
				continue
			}
			e = &WipeOrdered{Order: o, Technician: who}
		case *wire.TURNGrant:
			cn.settle(func(p *pending) bool { return p.kind == wire.KindTURNRequest && p.call == m.Call }, reply{grant: m})
		case *wire.Error:
			ref := &Refusal{Code: m.Code, Reason: m.Reason, Re: m.Re, Call: m.Call}
			if m.Re == 0 {
				// The exchange is closing the connection. A revocation
				// answers a pending self-revocation.
				if m.Code == wire.CodeRevoked {
					cn.settle(func(p *pending) bool { return p.kind == wire.KindSelfRevoke }, reply{})
				}
				return ref
			}
			if !cn.settle(func(p *pending) bool { return p.seq == m.Re }, reply{err: ref}) {
				e = &Refused{Refusal: *ref}
			}
		default:
			return fmt.Errorf("client: unexpected %v from the exchange", m.Kind())
		}
		if e != nil && !c.emit(ctx, e) {
			return nil
		}
	}
}

// settle answers and forgets the first pending request match accepts.
func (cn *conn) settle(match func(*pending) bool, r reply) bool {
	cn.mu.Lock()
	defer cn.mu.Unlock()
	for i, p := range cn.pending {
		if p.seq != 0 && match(p) {
			cn.pending = append(cn.pending[:i], cn.pending[i+1:]...)
			p.answer(r)
			return true
		}
	}
	return false
}
