package api

import (
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// StreamListener serves HTTP over one byte stream, such as a serial line,
// which has no connections of its own. Accept hands out one connection at
// a time over the stream; when the server closes it (after a malformed
// request, or at shutdown), the next Accept hands out a fresh one over the
// same stream. A request cut short by a pulled cable thus costs one error
// reply, never the line. Bytes the stream delivered but a closed
// connection had not read are kept, in order, for the next one. Clients
// keep one connection open across requests (NewBenchClient): the server's
// buffered reader drops what it holds when a connection closes.
//
// Read deadlines are kept (net/http ends its background read with one in
// the past); a read that times out consumes nothing. A write that the line
// does not take within writeLimit fails (a host that stopped reading), if
// rw takes write deadlines (a pollable os.File does; cmd/phoned opens the
// bench tty so); the server then drops that connection.
// Every buffer that held the stream's bytes (they may carry a SIM PIN) is
// cleared once they are passed on.
//
// One goroutine reads the stream; Close closes rw and waits for it, so
// rw.Close must end a Read in progress (a go.bug.st/serial port and a
// non-blocking os.File do; a blocking file does not).
func StreamListener(rw io.ReadWriteCloser) net.Listener {
	l := &streamListener{
		rw:     rw,
		chunks: make(chan []byte),
		free:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		eof:    make(chan struct{}),
	}
	l.free <- struct{}{}
	l.wg.Add(1)
	go l.pump()
	return l
}

type streamListener struct {
	rw     io.ReadWriteCloser
	chunks chan []byte   // from pump, one read at a time
	free   chan struct{} // holds a token while no connection is open
	done   chan struct{} // closed by Close
	eof    chan struct{} // closed when the stream's Read fails; err says why
	err    error
	once   sync.Once
	wg     sync.WaitGroup

	mu      sync.Mutex
	pending []byte // received, not yet read by a connection, oldest first
	wmu     sync.Mutex
}

func (l *streamListener) pump() {
	defer l.wg.Done()
	buf := make([]byte, 4096)
	defer clear(buf)
	for {
		n, err := l.rw.Read(buf)
		if n > 0 {
			chunk := append([]byte(nil), buf[:n]...)
			clear(buf[:n])
			select {
			case l.chunks <- chunk:
			case <-l.done:
				clear(chunk)
				return
			}
		}
		if err != nil {
			l.err = err
			close(l.eof)
			return
		}
	}
}

// pushLocked appends b to pending and clears b (and any array pending
// leaves behind when it grows). l.mu is held.
func (l *streamListener) pushLocked(b []byte) {
	if len(l.pending)+len(b) > cap(l.pending) {
		grown := make([]byte, len(l.pending), len(l.pending)+len(b)+4096)
		copy(grown, l.pending)
		clear(l.pending)
		l.pending = grown
	}
	l.pending = append(l.pending, b...)
	clear(b)
}

func (l *streamListener) Accept() (net.Conn, error) {
	select {
	case <-l.done:
		return nil, net.ErrClosed
	default:
	}
	select {
	case <-l.free:
		return &streamConn{l: l, closed: make(chan struct{}), expired: make(chan struct{}), wake: make(chan struct{})}, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-l.eof:
		return nil, l.err
	}
}

func (l *streamListener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		err = l.rw.Close() // ends the pump's Read
		l.wg.Wait()
		l.mu.Lock()
		clear(l.pending)
		l.pending = nil
		l.mu.Unlock()
	})
	return err
}

func (l *streamListener) Addr() net.Addr { return streamAddr{} }

type streamConn struct {
	l      *streamListener
	closed chan struct{}
	once   sync.Once

	dmu     sync.Mutex
	gen     uint64        // bumped by every SetReadDeadline
	timer   *time.Timer   // closes expired at the deadline of generation gen
	expired chan struct{} // closed when this generation's deadline passes
	wake    chan struct{} // closed by SetReadDeadline, so blocked reads look again
}

func (c *streamConn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

func (c *streamConn) Read(p []byte) (int, error) {
	l := c.l
	for {
		l.mu.Lock()
		if c.isClosed() {
			l.mu.Unlock()
			return 0, net.ErrClosed
		}
		if len(l.pending) > 0 {
			n := copy(p, l.pending)
			clear(l.pending[:n])
			l.pending = l.pending[n:]
			l.mu.Unlock()
			return n, nil
		}
		l.mu.Unlock()
		c.dmu.Lock()
		expired, wake := c.expired, c.wake
		c.dmu.Unlock()
		select {
		case <-expired:
			return 0, os.ErrDeadlineExceeded
		default:
		}
		select {
		case <-expired:
			return 0, os.ErrDeadlineExceeded
		case <-wake: // the deadline changed: look again
		case b := <-l.chunks:
			// Into pending, behind older bytes; served from there on the
			// next turn, unless this conn was closed meanwhile, in which
			// case the bytes wait for the next conn.
			l.mu.Lock()
			l.pushLocked(b)
			l.mu.Unlock()
		case <-c.closed:
			return 0, net.ErrClosed
		case <-l.done:
			return 0, net.ErrClosed
		case <-l.eof:
			l.mu.Lock()
			more := len(l.pending) > 0
			l.mu.Unlock()
			if !more {
				return 0, io.EOF
			}
		}
	}
}

// writeLimit bounds one write to the line: 115200 baud moves 11 KB/s, so
// any reply drains in well under this unless the host stopped reading.
var writeLimit = 10 * time.Second

func (c *streamConn) Write(p []byte) (int, error) {
	if c.isClosed() {
		return 0, net.ErrClosed
	}
	c.l.wmu.Lock()
	defer c.l.wmu.Unlock()
	if d, ok := c.l.rw.(interface{ SetWriteDeadline(time.Time) error }); ok {
		if err := d.SetWriteDeadline(time.Now().Add(writeLimit)); err == nil {
			defer d.SetWriteDeadline(time.Time{})
		}
	}
	return c.l.rw.Write(p)
}

func (c *streamConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		close(c.closed)
		c.l.mu.Unlock()
		c.dmu.Lock()
		if c.timer != nil {
			c.timer.Stop()
		}
		c.dmu.Unlock()
		c.l.free <- struct{}{}
	})
	return nil
}

func (c *streamConn) LocalAddr() net.Addr              { return streamAddr{} }
func (c *streamConn) RemoteAddr() net.Addr             { return streamAddr{} }
func (c *streamConn) SetDeadline(t time.Time) error    { return c.SetReadDeadline(t) }
func (c *streamConn) SetWriteDeadline(time.Time) error { return nil }

// SetReadDeadline makes reads fail with os.ErrDeadlineExceeded from t on;
// the zero time clears it. Each call starts a new generation: a timer of
// an earlier one that fires late changes nothing, and reads blocked under
// the old setting wake up to honour the new one.
func (c *streamConn) SetReadDeadline(t time.Time) error {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	c.gen++
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	c.expired = make(chan struct{})
	close(c.wake)
	c.wake = make(chan struct{})
	if t.IsZero() {
		return nil
	}
	d := time.Until(t)
	if d <= 0 {
		close(c.expired)
		return nil
	}
	gen, ch := c.gen, c.expired
	c.timer = time.AfterFunc(d, func() {
		c.dmu.Lock()
		defer c.dmu.Unlock()
		if c.gen == gen {
			close(ch)
		}
	})
	return nil
}

type streamAddr struct{}

func (streamAddr) Network() string { return "stream" }
func (streamAddr) String() string  { return "bench line" }
