package exchange

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"mehfooz/exchange/store"
	"mehfooz/exchange/wire"
	"mehfooz/trust"
)

// flushTimeout bounds how long an ending session may take to flush its last
// frames to a handset that stopped reading.
const flushTimeout = 5 * time.Second

// session is one admitted handset connection. Its reader runs in the
// connection's goroutine; its writer in a goroutine of its own that owns all
// writes, fed by a bounded queue.
type session struct {
	x        *Exchange
	id       trust.DeviceID
	cert     *x509.Certificate
	conn     net.Conn
	group    tls.CurveID
	software string
	since    time.Time

	out   chan wire.Message
	quit  chan struct{}
	wdone chan struct{}
	once  sync.Once
	// ended is when end was called (Unix nanos), for the janitor's flush bound.
	ended atomic.Int64
	// last is when the last frame arrived (Unix nanos), for the idle check.
	last atomic.Int64

	// seq numbers the frames sent; owned by the writer.
	seq uint64

	// Guarded by x.mu.
	wipePending bool
	// presOn and presOff are presence changes not yet sent (presence.go).
	presOn, presOff map[trust.DeviceID]struct{}
	rateNoted       time.Time
}

// send queues m without blocking. A handset that lets its queue fill is cut
// off: the exchange never waits for one handset on behalf of another.
func (s *session) send(m wire.Message) {
	select {
	case <-s.quit:
		return
	default:
	}
	select {
	case s.out <- m:
	default:
		s.x.log.Warn("handset not reading, dropping it", "device", s.id)
		s.once.Do(func() {
			s.ended.Store(s.x.clk.Now().UnixNano())
			close(s.quit)
			s.conn.Close()
		})
	}
}

// end queues a final Error with code and reason and closes the session once
// the writer has flushed it (or after flushTimeout, by the janitor).
func (s *session) end(code, reason string) {
	s.once.Do(func() {
		select {
		case s.out <- &wire.Error{Code: code, Reason: reason}:
		default:
		}
		s.ended.Store(s.x.clk.Now().UnixNano())
		close(s.quit)
	})
}

// writers holds the write buffers of sessions that are writing; an idle
// session holds none.
var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4<<10) }}

func (s *session) writeLoop() {
	defer close(s.wdone)
	// Frames queued together go out together: one TLS record and one write
	// call for a burst (presence fan-out, candidates), flushed as soon as
	// the queue is empty, when the buffer goes back to the pool.
	var bw *bufio.Writer
	flush := func() error {
		if bw == nil {
			return nil
		}
		err := bw.Flush()
		bw.Reset(nil)
		writers.Put(bw)
		bw = nil
		return err
	}
	defer flush()
	write := func(m wire.Message) bool {
		if bw == nil {
			bw = writers.Get().(*bufio.Writer)
			bw.Reset(s.conn)
		}
		b, err := wire.Append(nil, s.seq+1, m)
		if err == nil {
			_, err = bw.Write(b)
		}
		if err == nil {
			s.seq++
			if len(s.out) == 0 {
				err = flush()
			}
		}
		if err != nil {
			s.x.log.Debug("write to handset failed", "device", s.id, "err", err)
			s.conn.Close()
			return false
		}
		return true
	}
	for {
		select {
		case m := <-s.out:
			if !write(m) {
				return
			}
		case <-s.quit:
			for {
				select {
				case m := <-s.out:
					if !write(m) {
						return
					}
				default:
					flush()
					s.conn.Close() // sends close_notify after the last frame
					return
				}
			}
		}
	}
}

// handle runs one handset connection from TLS handshake to close.
func (x *Exchange) handle(ctx context.Context, raw net.Conn) {
	defer raw.Close()
	remote := raw.RemoteAddr().String()
	conn := tls.Server(raw, x.HandsetTLS())
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()

	// Handshake and Hello must complete within HandshakeTimeout.
	cancel := x.timeout(x.cfg.HandshakeTimeout, raw)
	if err := conn.HandshakeContext(ctx); err != nil {
		cancel()
		x.audit.refused("", "tls", "TLS handshake: "+err.Error(), remote)
		return
	}
	cs := conn.ConnectionState()
	id, cert, err := x.admit(&cs)
	if err != nil {
		cancel()
		code := codeOf(err)
		x.audit.refused(string(id), code, err.Error(), remote)
		// Tell the handset why, then close: it shows the reason and decides
		// whether to retry.
		end := x.timeout(flushTimeout, raw)
		wire.NewWriter(conn).Write(&wire.Error{Code: code, Reason: err.Error()})
		conn.Close()
		end()
		return
	}
	r := wire.NewReader(conn, wire.FromHandset)
	_, m, err := r.Read()
	cancel()
	hello, ok := m.(*wire.Hello)
	if err != nil || !ok {
		if err == nil {
			err = errors.New("first frame is " + m.Kind().String() + ", want hello")
		}
		if !isClosed(err) {
			x.audit.refused(string(id), wire.CodeMalformed, err.Error(), remote)
			wire.NewWriter(conn).Write(&wire.Error{Code: wire.CodeMalformed, Reason: err.Error()})
		}
		return
	}

	s := &session{
		x: x, id: id, cert: cert, conn: conn, group: cs.CurveID, software: hello.Software,
		since: x.clk.Now(), out: make(chan wire.Message, x.cfg.QueueLen),
		quit: make(chan struct{}), wdone: make(chan struct{}),
	}
	s.last.Store(s.since.UnixNano())
	go s.writeLoop()
	if !x.attach(s, hello) {
		s.end(wire.CodeShutdown, "exchange stopping")
	} else {
		s.readLoop(r, remote)
		s.end(wire.CodeShutdown, "connection closed")
	}
	<-s.wdone
	x.detach(s)
}

func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || errors.Is(err, wire.ErrShort)
}

// readLoop reads and dispatches frames until the connection ends or
// breaks the protocol.
func (s *session) readLoop(r *wire.Reader, remote string) {
	x := s.x
	for {
		seq, m, err := r.Read()
		if err != nil {
			if isClosed(err) {
				return
			}
			select {
			case <-s.quit: // we closed it
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) {
				return
			}
			code := wire.CodeMalformed
			if errors.Is(err, wire.ErrFromSet) {
				code = wire.CodeSpoofedSender
			}
			x.audit.refused(string(s.id), code, err.Error(), remote)
			s.end(code, err.Error())
			return
		}
		now := x.clk.Now()
		s.last.Store(now.UnixNano())
		if !x.allow(s, seq, now) {
			continue
		}
		x.dispatch(s, seq, m)
	}
}

// allow spends a token of the device's bucket. The bucket is per device,
// not per connection, so reconnecting does not refill it. A refused frame is
// answered at most once a second.
func (x *Exchange) allow(s *session, seq uint64, now time.Time) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	b := x.buckets[s.id]
	if b == nil {
		b = newBucket(x.cfg.Rate, x.cfg.Burst, now)
		x.buckets[s.id] = b
	}
	if b.take(now) {
		return true
	}
	if now.Sub(s.rateNoted) >= time.Second {
		s.rateNoted = now
		s.send(&wire.Error{Re: seq, Code: wire.CodeRateLimited, Reason: "too many frames; slow down"})
		x.audit.refused(string(s.id), wire.CodeRateLimited, "frame rate above the device's budget", "")
	}
	return false
}

func (x *Exchange) dispatch(s *session, seq uint64, m wire.Message) {
	switch m := m.(type) {
	case *wire.Ping:
		s.send(&wire.Pong{Nonce: m.Nonce})
	case *wire.Route:
		x.route(s, seq, &m.Envelope)
	case *wire.TURNRequest:
		x.grant(s, seq, m)
	case *wire.SelfRevoke:
		x.selfRevoke(s, seq, m.Request)
	case *wire.WipeAck:
		x.wipeAck(s, seq, m.Order)
	default:
		x.audit.refused(string(s.id), wire.CodeMalformed, "unexpected "+m.Kind().String(), "")
		s.end(wire.CodeMalformed, "unexpected "+m.Kind().String())
	}
}

// attach registers an admitted session, replacing an older one of the same
// device, and sends what the handset needs first: Welcome, newer bundles, a
// pending wipe order, presence. It reports false if the exchange is closing.
func (x *Exchange) attach(s *session, hello *wire.Hello) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	if old := x.sessions[s.id]; old != nil {
		old.end(wire.CodeReplaced, "a newer connection of this device took over")
		x.presenceGone(old)
	}
	x.sessions[s.id] = s
	x.live[s] = struct{}{}
	delete(x.lastSeen, s.id)
	_, db, _, lb := x.current()
	w := &wire.Welcome{Device: string(s.id), Group: uint16(s.group), Time: x.clk.Now().UnixMilli()}
	if db != nil {
		w.Directory = db.Version
	}
	if lb != nil {
		w.Revocations = lb.Version
	}
	s.send(w)
	if order, ok := x.wipes[s.id]; ok {
		// A handset about to be wiped gets its order and nothing else: no
		// presence, no calls.
		s.wipePending = true
		if wp, err := x.cfg.Store.Wipe(string(s.id)); err == nil {
			s.send(&wire.Wipe{Order: wp.Order})
			x.audit.record(store.Event{Kind: EventWipeDelivered, Device: string(s.id), Reason: "order " + order.String()})
		} else {
			x.log.Error("queued wipe order unreadable", "device", s.id, "err", err)
		}
		return true
	}
	if db != nil && hello.Directory < db.Version {
		s.send(&wire.DirectoryPush{Bundle: db.Raw})
	}
	if lb != nil && hello.Revocations < lb.Version {
		s.send(&wire.RevocationPush{Bundle: lb.Raw})
	}
	x.presenceArrived(s)
	return true
}

// detach forgets a finished session (unless a newer one replaced it).
func (x *Exchange) detach(s *session) {
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.live, s)
	if x.sessions[s.id] != s {
		return
	}
	delete(x.sessions, s.id)
	x.lastSeen[s.id] = x.clk.Now()
	x.presenceGone(s)
}

// online returns the device's live session, or nil; x.mu is held.
func (x *Exchange) online(id trust.DeviceID) *session {
	s := x.sessions[id]
	if s == nil || s.wipePending {
		return nil
	}
	select {
	case <-s.quit:
		return nil
	default:
		return s
	}
}
