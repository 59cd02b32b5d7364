package at

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"mehfooz/clock"
)

// Config tunes an Engine. The zero value is usable: every field has a default.
type Config struct {
	Clock clock.Clock  // default clock.Real{}
	Log   *slog.Logger // default: discard
	// MaxLine bounds a line (default 4096); a longer one is dropped whole.
	MaxLine int
	// IdleFlush ends a partial line after the port has been quiet this long
	// (default 500 ms).
	IdleFlush time.Duration
	// QueueSize bounds the URC queue (default 256).
	QueueSize int
	// Drain is the quiet gap a resync waits for before and after its probe
	// (default 300 ms).
	Drain time.Duration
	// ProbeTimeout bounds each resync probe (default 1 s).
	ProbeTimeout time.Duration
	// StormRate and StormFor raise the storm alarm when more than StormRate
	// URCs arrive in each of StormFor consecutive seconds (defaults 100, 3).
	StormRate int
	StormFor  int
}

func (c *Config) defaults() {
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.MaxLine <= 0 {
		c.MaxLine = 4096
	}
	if c.IdleFlush <= 0 {
		c.IdleFlush = 500 * time.Millisecond
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 256
	}
	if c.Drain <= 0 {
		c.Drain = 300 * time.Millisecond
	}
	if c.ProbeTimeout <= 0 {
		c.ProbeTimeout = time.Second
	}
	if c.StormRate <= 0 {
		c.StormRate = 100
	}
	if c.StormFor <= 0 {
		c.StormFor = 3
	}
}

// Cmd is one command line.
type Cmd struct {
	// Line is the command as sent, with its "AT", e.g. "AT+CEREG?". The
	// engine adds the CR that ends it (V.250 §5.2.1, S3).
	Line string
	// Prefix names the information lines that answer it, e.g. "+CEREG".
	// While the command runs, other "+XXX:" lines are URCs or, if unknown,
	// dropped as stray: a stale reply to an earlier command never becomes
	// this command's answer. Empty for commands whose answer has no prefix
	// (+CIMI, +CGSN, I); then every line that is not a known URC is info.
	// For +CREG, +CGREG, +CEREG and +C5GREG the engine also checks the shape,
	// so a URC arriving during the query is not taken for the response.
	Prefix string
	// Timeout bounds the wait for the final result; 0 means DefaultTimeout.
	Timeout time.Duration
	// Secret, if set, is sent V.250-quoted after Line (AT+CPIN="...") from a
	// buffer the engine zeroes after the write. It never appears in errors
	// or logs. The caller zeroes its own copy.
	Secret []byte
	// Payload, if set, makes this a two-step command (TS 27.005 §3.5.1):
	// the line ends in CR, the engine waits for the "> " prompt, then sends
	// Payload and Ctrl-Z.
	Payload string
}

// name is the command as it may appear in errors and logs.
func (c Cmd) name() string {
	if c.Secret != nil {
		return c.Line + `"***"`
	}
	return c.Line
}

// Resp is a command's answer.
type Resp struct {
	Info  []string // information lines, in order
	Final string   // "OK", or "CONNECT ..." for a dial
	// Echo says the modem echoed the command line: echo is on, which after
	// ATE0 means the modem has reset and lost its configuration.
	Echo bool
}

// Stats are the engine's counters since New.
type Stats struct {
	Bytes     uint64 // bytes read from the port
	Lines     uint64 // lines framed
	Dropped   uint64 // bytes of over-long lines
	Overlong  uint64 // over-long lines dropped
	Stripped  uint64 // non-printable bytes removed
	Stray     uint64 // lines no command or URC claimed
	Echoes    uint64 // echoed command lines
	URCs      uint64 // URCs queued
	Coalesced uint64 // URCs replaced by a newer one of the same kind
	Overflow  uint64 // URCs dropped on a full queue
	Storms    uint64 // rate alarms raised
	PeakQueue int    // most URCs ever waiting at once
	Timeouts  uint64
	// ConsecutiveTimeouts counts timeouts since the last command that got
	// a final result; the modem package escalates on it.
	ConsecutiveTimeouts int
	Resyncs             uint64
}

// Engine runs AT commands over a port and queues its URCs.
type Engine struct {
	port io.ReadWriter
	cfg  Config
	clk  clock.Clock
	log  *slog.Logger
	q    *queue

	sem    chan struct{} // held by the command in flight
	desync bool          // guarded by sem: resync before the next command

	chunks chan chunk
	free   chan []byte
	ctl    chan ctlMsg
	wreq   chan writeReq
	quit   chan struct{}
	done   chan struct{}
	err    error // why the engine stopped; written before done closes
	once   sync.Once
	wg     sync.WaitGroup

	mu     sync.Mutex // guards st and lastRx
	st     Stats
	lastRx time.Time

	// Owned by the loop goroutine.
	ls         Stats // Lines, Stray, Echoes, URCs, Storms; copied to st by syncStats
	fr         *framer
	cur        *pending
	collect    *URC // a URC waiting for its PDU line
	idle       clock.Timer
	idleArmed  bool
	idleAt     time.Time
	winStart   time.Time
	winCount   int
	stormySecs int
	stormOn    bool
}

type chunk struct {
	b   []byte
	err error
}

type ctlMsg struct {
	p   *pending
	set bool
}

// pending is the command in flight, shared between its caller and the loop.
type pending struct {
	cmd      Cmd
	timer    clock.Timer // stopped by the loop before it delivers the result
	prefix   string
	dial     bool
	prompt   chan struct{} // the loop saw "> "
	done     chan result
	prompted bool // loop-owned from here on
	echo     bool
	info     []string
}

type result struct {
	resp   Resp
	err    error
	strays uint64 // the loop's stray count when the result came
}

// New starts an engine on port. Close stops it; if port is an io.Closer,
// Close closes it, which is how the reading goroutine returns. Otherwise the
// caller must make port's Read return (by closing the device) before Close
// can return.
func New(port io.ReadWriter, cfg Config) *Engine {
	e := newEngine(port, cfg)
	e.wg.Add(3)
	go e.writer()
	go e.pump()
	go e.loop()
	return e
}

// newEngine builds an engine without starting its goroutines.
func newEngine(port io.ReadWriter, cfg Config) *Engine {
	cfg.defaults()
	e := &Engine{
		port:   port,
		cfg:    cfg,
		clk:    cfg.Clock,
		log:    cfg.Log,
		q:      newQueue(cfg.QueueSize),
		sem:    make(chan struct{}, 1),
		chunks: make(chan chunk),
		free:   make(chan []byte, 2),
		ctl:    make(chan ctlMsg),
		wreq:   make(chan writeReq),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
		fr:     newFramer(cfg.MaxLine),
	}
	e.lastRx = e.clk.Now()
	e.winStart = e.lastRx
	e.idle = e.clk.NewTimer(time.Hour)
	e.idle.Stop()
	for range 2 {
		e.free <- make([]byte, 4096)
	}
	return e
}

// Close stops the engine and waits for its goroutines. Commands in flight
// return ErrClosed.
func (e *Engine) Close() error {
	var err error
	e.once.Do(func() {
		close(e.quit)
		if c, ok := e.port.(io.Closer); ok {
			err = c.Close()
		}
	})
	e.wg.Wait()
	return err
}

// Done is closed when the engine has stopped, after Close or a port failure.
func (e *Engine) Done() <-chan struct{} { return e.done }

// Err says why the engine stopped (wrapping ErrClosed); nil while it runs.
func (e *Engine) Err() error {
	select {
	case <-e.done:
		return e.err
	default:
		return nil
	}
}

// Notify has a value whenever URCs (or a storm alarm) wait in the queue.
func (e *Engine) Notify() <-chan struct{} { return e.q.notify }

// NextURC takes the oldest waiting URC; a pending storm alarm comes first.
func (e *Engine) NextURC() (URC, bool) { return e.q.pop() }

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	s := e.st
	e.mu.Unlock()
	e.q.mu.Lock()
	s.Coalesced, s.Overflow, s.PeakQueue = e.q.coalesced, e.q.dropped, e.q.peak
	e.q.mu.Unlock()
	return s
}

// Exec sends c and waits for its final result, c's timeout or ctx. Commands
// are serialised: a second caller waits for the first. After a timeout or a
// cancel the modem may still answer, so the next Exec first resynchronises:
// it waits for the port to go quiet, sends AT, and takes only a clean OK
// followed by silence as proof that no stale reply is left.
func (e *Engine) Exec(ctx context.Context, c Cmd) (Resp, error) {
	if err := ctx.Err(); err != nil {
		return Resp{}, fmt.Errorf("%s: %w", c.name(), err)
	}
	select {
	case e.sem <- struct{}{}:
	case <-ctx.Done():
		return Resp{}, fmt.Errorf("%s: %w", c.name(), ctx.Err())
	case <-e.done:
		return Resp{}, fmt.Errorf("%s: %w", c.name(), e.err)
	}
	defer func() { <-e.sem }()
	if e.desync {
		if err := e.resync(ctx); err != nil {
			return Resp{}, fmt.Errorf("%s: %w", c.name(), err)
		}
	}
	r, err := e.exec(ctx, c)
	if err != nil {
		return r, fmt.Errorf("%s: %w", c.name(), err)
	}
	return r, nil
}

// exec runs one command; the caller holds sem.
func (e *Engine) exec(ctx context.Context, c Cmd) (Resp, error) {
	r, _, err := e.execCounted(ctx, c)
	return r, err
}

// execCounted is exec that also returns the loop's stray-line count at the
// moment the final result was routed.
func (e *Engine) execCounted(ctx context.Context, c Cmd) (Resp, uint64, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout(c.Line)
	}
	p := &pending{
		cmd:    c,
		prefix: c.Prefix,
		dial:   isDial(c.Line),
		prompt: make(chan struct{}, 1),
		done:   make(chan result, 1),
	}
	// Arm the timer before the write, so that once the modem side has seen
	// the command the deadline is set; the loop stops it before it delivers
	// the result. Tests with a fake clock rely on both.
	t := e.clk.NewTimer(timeout)
	defer t.Stop()
	p.timer = t
	select {
	case e.ctl <- ctlMsg{p: p, set: true}:
	case <-e.done:
		return Resp{}, 0, e.err
	}
	defer func() {
		select {
		case e.ctl <- ctlMsg{p: p}:
		case <-e.done:
		}
	}()
	// Writes go through the writer goroutine, so a port whose Write blocks
	// (flow control, a wedged driver) cannot outlast the timeout.
	line := writeReq{b: lineBytes(c), wipe: c.Secret != nil, res: make(chan error, 1)}
	var payload writeReq
	queued := &line // handed to the writer next
	defer func() {
		if queued == &line && line.wipe {
			clear(line.b) // never handed over: wipe it here
		}
	}()
	for {
		var wq chan writeReq
		var next writeReq
		if queued != nil {
			wq, next = e.wreq, *queued
		}
		select {
		case wq <- next:
			queued = nil
		case err := <-line.res:
			if err != nil {
				return Resp{}, 0, fmt.Errorf("write: %w", err)
			}
		case err := <-payload.res:
			if err != nil {
				return Resp{}, 0, fmt.Errorf("write payload: %w", err)
			}
		case <-p.prompt:
			payload = writeReq{b: []byte(c.Payload + "\x1a"), res: make(chan error, 1)}
			queued = &payload
		case r := <-p.done:
			e.finished(r.err)
			return r.resp, r.strays, r.err
		case <-t.C():
			select { // the answer may have raced the timer
			case r := <-p.done:
				e.finished(r.err)
				return r.resp, r.strays, r.err
			default:
			}
			e.desync = true
			e.mu.Lock()
			e.st.Timeouts++
			e.st.ConsecutiveTimeouts++
			e.mu.Unlock()
			return Resp{}, 0, fmt.Errorf("%w (%v)", ErrTimeout, timeout)
		case <-ctx.Done():
			e.desync = true
			return Resp{}, 0, ctx.Err()
		case <-e.done:
			return Resp{}, 0, e.err
		}
	}
}

func (e *Engine) finished(err error) {
	if errors.Is(err, ErrReset) {
		e.desync = true
		return
	}
	e.mu.Lock()
	e.st.ConsecutiveTimeouts = 0
	e.mu.Unlock()
}

type writeReq struct {
	b    []byte
	wipe bool // zero b after the write: it holds a secret
	res  chan error
}

// writer is the only writer of the port.
func (e *Engine) writer() {
	defer e.wg.Done()
	for {
		select {
		case w := <-e.wreq:
			_, err := e.port.Write(w.b)
			if w.wipe {
				clear(w.b)
			}
			w.res <- err
		case <-e.quit:
			return
		}
	}
}

// lineBytes is the command line with its secret quoted and the CR that ends
// it (V.250 §5.2.1).
func lineBytes(c Cmd) []byte {
	b := make([]byte, 0, len(c.Line)+3*len(c.Secret)+3)
	b = append(b, c.Line...)
	if c.Secret != nil {
		b = appendQuoted(b, c.Secret)
	}
	return append(b, '\r')
}

// appendQuoted is Quote for a secret held in a byte slice.
func appendQuoted(b, s []byte) []byte {
	const hex = "0123456789ABCDEF"
	b = append(b, '"')
	for _, c := range s {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			b = append(b, '\\', hex[c>>4], hex[c&0xf])
			continue
		}
		b = append(b, c)
	}
	return append(b, '"')
}

func isDial(line string) bool {
	l := strings.ToUpper(line)
	return strings.HasPrefix(l, "ATD") || strings.HasPrefix(l, "ATA") || strings.HasPrefix(l, "ATO")
}

// resync brings the command channel back to a known state after a timeout.
// A probe OK alone proves little: a late OK of the timed-out command can end
// the probe, and the probe's own OK would then end the next command. So the
// probe must come back clean (no info lines) and be followed by a quiet gap
// with no stray line; three rounds, then ErrNoSync.
func (e *Engine) resync(ctx context.Context) error {
	e.mu.Lock()
	e.st.Resyncs++
	e.mu.Unlock()
	for range 3 {
		if err := e.waitQuiet(ctx); err != nil {
			return err
		}
		r, strays, err := e.execCounted(ctx, Cmd{Line: "AT", Timeout: e.cfg.ProbeTimeout})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil || len(r.Info) > 0 {
			e.log.Debug("at: resync probe not clean", "err", err, "info", len(r.Info))
			continue
		}
		if err := e.sleep(ctx, e.cfg.Drain); err != nil {
			return err
		}
		if e.Stats().Stray == strays {
			e.desync = false
			return nil
		}
	}
	return ErrNoSync
}

// waitQuiet returns once nothing has been read for Drain. A port that never
// goes quiet (a storm) gets a bounded wait; the probe then decides.
func (e *Engine) waitQuiet(ctx context.Context) error {
	for range 20 {
		e.mu.Lock()
		last := e.lastRx
		e.mu.Unlock()
		left := e.cfg.Drain - e.clk.Since(last)
		if left <= 0 {
			return nil
		}
		if err := e.sleep(ctx, left); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) sleep(ctx context.Context, d time.Duration) error {
	t := e.clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-e.done:
		return e.err
	}
}

// pump is the only reader of the port. It hands each read to the loop and
// gets the buffer back, so a busy port costs no allocation per read.
func (e *Engine) pump() {
	defer e.wg.Done()
	for {
		var buf []byte
		select {
		case buf = <-e.free:
		case <-e.quit:
			return
		}
		n, err := e.port.Read(buf[:cap(buf)])
		select {
		case e.chunks <- chunk{b: buf[:n], err: err}:
		case <-e.quit:
			return
		}
		if err != nil {
			return
		}
	}
}

// loop owns the framer, the command in flight and the URC routing.
func (e *Engine) loop() {
	defer e.wg.Done()
	defer e.idle.Stop()
	for {
		select {
		case c := <-e.chunks:
			if len(c.b) > 0 {
				e.feed(c.b)
			}
			e.free <- c.b
			if c.err != nil {
				e.stop(c.err)
				return
			}
		case m := <-e.ctl:
			if m.set {
				e.cur = m.p
				e.fr.expectPrompt = m.p.cmd.Payload != ""
			} else if e.cur == m.p {
				e.cur = nil
				e.fr.expectPrompt = false
			}
		case <-e.idle.C():
			e.idleArmed = false
			if !e.fr.pending() {
				break
			}
			if e.clk.Now().Before(e.idleAt) { // a stale fire: re-arm
				e.armIdle(e.idleAt)
				break
			}
			e.fr.flush(e.handle)
			e.syncStats()
		case <-e.quit:
			e.stop(nil)
			return
		}
	}
}

func (e *Engine) stop(cause error) {
	switch {
	case cause == nil:
		e.err = ErrClosed
	case errors.Is(cause, io.EOF):
		e.err = fmt.Errorf("%w: port hung up", ErrClosed)
	default:
		e.err = fmt.Errorf("%w: %w", ErrClosed, cause)
	}
	if cause != nil {
		e.log.Warn("at: port closed", "err", cause)
	}
	close(e.done)
}

func (e *Engine) feed(b []byte) {
	now := e.clk.Now()
	e.fr.feed(b, e.handle)
	if e.fr.pending() {
		e.armIdle(now.Add(e.cfg.IdleFlush))
	} else if e.idleArmed {
		e.idle.Stop()
		e.idleArmed = false
	}
	e.mu.Lock()
	e.st.Bytes += uint64(len(b))
	e.lastRx = now
	e.mu.Unlock()
	e.syncStats()
}

func (e *Engine) armIdle(at time.Time) {
	e.idleAt = at
	e.idle.Reset(at.Sub(e.clk.Now()))
	e.idleArmed = true
}

// syncStats publishes the counters only the loop touches.
func (e *Engine) syncStats() {
	e.mu.Lock()
	e.st.Dropped, e.st.Overlong, e.st.Stripped = e.fr.dropped, e.fr.overlong, e.fr.stripped
	e.st.Lines, e.st.Stray, e.st.Echoes, e.st.URCs, e.st.Storms = e.ls.Lines, e.ls.Stray, e.ls.Echoes, e.ls.URCs, e.ls.Storms
	e.mu.Unlock()
}
