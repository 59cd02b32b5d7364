package sim

import (
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// session is one attached port: the reader that frames and runs command
// lines, and the writer that drains the output queue to the port.
type session struct {
	m    *Modem
	port io.ReadWriteCloser
	path string
	seq  int
	fr   framer // guarded by m.mu
	out  outQueue

	done     chan struct{} // closed by stop
	gone     chan struct{} // closed once the session is fully torn down
	stopOnce sync.Once
	closing  atomic.Bool // hang up once the queue is written
}

// maxLine bounds a command line. Real modems keep a few hundred bytes to a
// few KiB; past that they answer ERROR.
const maxLine = 2048

// maxQueued bounds what waits to be written to the port. A host that stops
// reading makes the pty fill, then this queue; past it, URCs are dropped
// and counted, as a module's own buffer overflows.
const maxQueued = 4 << 20

func newSession(m *Modem, port io.ReadWriteCloser, path string) *session {
	return &session{
		m:    m,
		port: port,
		path: path,
		fr:   framer{max: maxLine},
		out:  outQueue{max: maxQueued, wake: make(chan struct{}, 1)},
		done: make(chan struct{}),
		gone: make(chan struct{}),
	}
}

// drainThenStop hangs up once what is queued has been written, as a USB
// module sends its OK before it drops off the bus.
func (s *session) drainThenStop() {
	s.closing.Store(true)
	select {
	case s.out.wake <- struct{}{}:
	default:
	}
}

// lingerThenStop gives the host up to a second to read what a pty still
// holds before hanging up, because a hang-up discards the slave's input
// queue: a real module's OK is read long before it drops off the bus. The
// kernel moves written bytes into that queue asynchronously, so the queue
// must stay empty for a while (20 ms) before we trust it. This waits on the
// kernel, not on simulated time, so it uses the real clock.
func (s *session) lingerThenStop() {
	defer s.stop()
	q, ok := s.port.(interface{ unread() int })
	if !ok {
		return // sockets and pipes deliver what was written before a close
	}
	empty := 0
	for range 500 {
		if q.unread() == 0 {
			empty++
			if empty >= 10 {
				return
			}
		} else {
			empty = 0
		}
		select {
		case <-s.done:
			return
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func (s *session) stopped() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// stop hangs up the port; the reader and writer then return.
func (s *session) stop() {
	s.stopOnce.Do(func() {
		close(s.done)
		s.port.Close()
	})
}

func (s *session) readLoop() {
	buf := make([]byte, 4096)
	for {
		n, err := s.port.Read(buf)
		if n > 0 {
			s.feed(buf[:n])
		}
		if err != nil {
			return
		}
		select {
		case <-s.done:
			return
		default:
		}
	}
}

func (s *session) writeLoop() {
	for {
		select {
		case <-s.done:
			return
		case <-s.out.wake:
		}
		for {
			b := s.out.pop()
			if b == nil {
				break
			}
			if _, err := s.port.Write(b); err != nil {
				s.stop()
				return
			}
		}
		if s.closing.Load() {
			s.lingerThenStop()
			return
		}
	}
}

// feed frames bytes from the host and runs each complete command line.
func (s *session) feed(b []byte) {
	m := s.m
	m.mu.Lock()
	defer m.mu.Unlock()
	for len(b) > 0 {
		if s.stopped() {
			return // unplugged: what is left in the buffer is lost
		}
		if m.power != powerOn || m.sess != s {
			// A module that is off or hung drops what it is sent.
			m.stats.BytesIgnored += len(b)
			return
		}
		n, echo, ev, text := s.fr.scan(b)
		b = b[n:]
		if m.st.echo && len(echo) > 0 {
			s.out.push(echo)
		}
		switch ev {
		case evLine:
			m.st.lastLine = text
			s.runLine(text)
		case evRepeat:
			s.runLine(m.st.lastLine)
		case evOverflow:
			m.tr.add('>', "AT… (line longer than "+itoa(maxLine)+" bytes)")
			s.finish(errPlain)
		case evPDU, evCancel:
			s.finishSend(ev == evCancel, text)
		}
	}
}

// runLine executes one command line with m.mu held. A command that takes
// time releases the lock while it waits, as a busy module still raises URCs.
func (s *session) runLine(text string) {
	m := s.m
	m.tr.add('>', "AT"+text)
	m.stats.Commands++
	cmds, err := parseLine(text)
	if err != nil {
		s.finish(errPlain)
		return
	}
	var then []func()
	for _, c := range cmds {
		r := m.exec(c)
		if d := r.delay + m.extraDelay(c); d > 0 {
			gen := m.gen
			m.mu.Unlock()
			waited := s.wait(d)
			m.mu.Lock()
			if !waited || m.gen != gen || m.power != powerOn || m.sess != s {
				return // the module reset or the port went while we waited
			}
		}
		if r.settle != nil {
			r.final = r.settle()
		}
		if len(r.info) > 0 {
			for _, l := range r.info {
				m.tr.add('<', l)
			}
			s.out.push(m.format().info(r.info))
		}
		if r.then != nil {
			then = append(then, r.then)
		}
		if r.prompt {
			// 27.005 §3.5.1: the DCE answers "<CR><LF><greater_than><space>"
			// and reads the PDU; the final result comes after Ctrl-Z.
			s.out.push([]byte("\r\n> "))
			m.tr.add('<', "> ")
			s.fr.prompt()
			return
		}
		if r.final.kind != resOK {
			s.finish(r.final)
			return
		}
	}
	s.finish(finalOK)
	for _, f := range then {
		f()
	}
}

// finish queues a final result code.
func (s *session) finish(f final) {
	m := s.m
	fm := m.format()
	if v, _ := fm.text(f); !fm.quiet {
		m.tr.add('<', v)
	}
	s.out.push(fm.final(f))
}

// wait sleeps d on the modem's clock, or until the session stops.
func (s *session) wait(d time.Duration) bool {
	t := s.m.clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-s.done:
		return false
	}
}

// outQueue is the ordered, bounded queue of bytes for the port. Pushing
// never blocks, so the modem can raise URCs while holding its lock.
type outQueue struct {
	mu      sync.Mutex
	chunks  [][]byte
	size    int
	max     int
	dropped int
	wake    chan struct{}
}

func (q *outQueue) push(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	q.mu.Lock()
	if q.size+len(b) > q.max {
		q.dropped++
		q.mu.Unlock()
		return false
	}
	q.chunks = append(q.chunks, b)
	q.size += len(b)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// pop takes up to 64 KiB of queued bytes, or nil when the queue is empty.
func (q *outQueue) pop() []byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.chunks) == 0 {
		return nil
	}
	var out []byte
	i := 0
	for ; i < len(q.chunks) && (i == 0 || len(out)+len(q.chunks[i]) <= 64<<10); i++ {
		out = append(out, q.chunks[i]...)
		q.chunks[i] = nil
	}
	q.chunks = q.chunks[i:]
	q.size -= len(out)
	return out
}

func (q *outQueue) queued() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.size
}

func joinLines(lines []string) string { return strings.Join(lines, "\r\n") }
