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
// a time over the stream; when the server closes it (after a request sent
// with "Connection: close", as Client sends them, or after a malformed
// request), the next Accept hands out a fresh one over the same stream.
// A request cut short by a pulled cable thus costs one error reply, never
// the line. Bytes the stream delivered but a closed connection had not
// read are kept for the next one.
//
// Read deadlines are kept (net/http ends its background read with one in
// the past); a read that times out consumes nothing. Write deadlines are
// ignored: a serial line drains at its own pace.
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
	pending []byte // delivered to a connection that closed before reading it
	wmu     sync.Mutex
}

func (l *streamListener) pump() {
	defer l.wg.Done()
	buf := make([]byte, 4096)
	for {
		n, err := l.rw.Read(buf)
		if n > 0 {
			select {
			case l.chunks <- append([]byte(nil), buf[:n]...):
			case <-l.done:
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

func (l *streamListener) Accept() (net.Conn, error) {
	select {
	case <-l.free:
		return &streamConn{l: l, closed: make(chan struct{}), expired: make(chan struct{})}, nil
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
	})
	return err
}

func (l *streamListener) Addr() net.Addr { return streamAddr{} }

type streamConn struct {
	l      *streamListener
	closed chan struct{}
	once   sync.Once

	dmu     sync.Mutex
	timer   *time.Timer
	expired chan struct{} // closed when the read deadline passes
}

func (c *streamConn) Read(p []byte) (int, error) {
	l := c.l
	l.mu.Lock()
	if len(l.pending) > 0 {
		n := copy(p, l.pending)
		l.pending = l.pending[n:]
		l.mu.Unlock()
		return n, nil
	}
	l.mu.Unlock()
	c.dmu.Lock()
	expired := c.expired
	c.dmu.Unlock()
	select {
	case <-expired:
		return 0, os.ErrDeadlineExceeded
	default:
	}
	select {
	case <-expired:
		return 0, os.ErrDeadlineExceeded
	case b := <-l.chunks:
		l.mu.Lock()
		defer l.mu.Unlock()
		select {
		case <-c.closed:
			// Closed while this chunk was on its way: it belongs to the
			// next connection.
			l.pending = append(b, l.pending...)
			return 0, net.ErrClosed
		default:
		}
		n := copy(p, b)
		l.pending = append(b[n:], l.pending...)
		return n, nil
	case <-c.closed:
		return 0, net.ErrClosed
	case <-l.done:
		return 0, net.ErrClosed
	case <-l.eof:
		return 0, io.EOF
	}
}

func (c *streamConn) Write(p []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	c.l.wmu.Lock()
	defer c.l.wmu.Unlock()
	return c.l.rw.Write(p)
}

func (c *streamConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		close(c.closed)
		c.l.mu.Unlock()
		c.l.free <- struct{}{}
	})
	return nil
}

func (c *streamConn) LocalAddr() net.Addr              { return streamAddr{} }
func (c *streamConn) RemoteAddr() net.Addr             { return streamAddr{} }
func (c *streamConn) SetDeadline(t time.Time) error    { return c.SetReadDeadline(t) }
func (c *streamConn) SetWriteDeadline(time.Time) error { return nil }

// SetReadDeadline makes reads fail with os.ErrDeadlineExceeded from t on;
// the zero time clears it.
func (c *streamConn) SetReadDeadline(t time.Time) error {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if c.timer != nil {
		c.timer.Stop()
		c.timer = nil
	}
	select {
	case <-c.expired: // a passed deadline: a fresh one for the new setting
		c.expired = make(chan struct{})
	default:
	}
	if t.IsZero() {
		return nil
	}
	d := time.Until(t)
	if d <= 0 {
		close(c.expired)
		return nil
	}
	ch := c.expired
	c.timer = time.AfterFunc(d, func() {
		c.dmu.Lock()
		defer c.dmu.Unlock()
		if c.expired == ch {
			select {
			case <-ch:
			default:
				close(ch)
			}
		}
	})
	return nil
}

type streamAddr struct{}

func (streamAddr) Network() string { return "stream" }
func (streamAddr) String() string  { return "bench line" }
