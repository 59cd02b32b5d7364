package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"mehfooz/clock"
)

// Config sets up a Modem. Zero durations make the simulated module answer
// at once; DefaultConfig has the pace of a real one.
type Config struct {
	// Profile is the firmware to imitate; nil means EG25G.
	Profile *Profile
	// Card is the SIM in the slot; nil means the slot is empty.
	Card *Card
	// Cells are the cells in range. Nil means one LTE cell of the card's
	// home network (or of 410-01 without a card).
	Cells []Cell
	// RegisterDelay is how long the modem searches before it registers.
	RegisterDelay time.Duration
	// ScanDelay is how long AT+COPS=? takes.
	ScanDelay time.Duration
	// ActivateDelay is how long a PDP context activation takes.
	ActivateDelay time.Duration
	// SIMInitDelay is how long the card takes to initialise after boot or
	// insertion; during it SIMBusy profiles answer +CME ERROR: 14.
	SIMInitDelay time.Duration
	// RingInterval is the cadence of RING for an incoming call.
	RingInterval time.Duration
	// ReplugDelay is how long the port is gone after an unplug before the
	// line offers a fresh one.
	ReplugDelay time.Duration
	// USB makes every reset of the module re-enumerate, as a USB modem
	// does: the port hangs up after the last byte and a fresh one is
	// offered (after ReplugDelay), where the module boots; while the module
	// is powered off no port is offered at all. Without it the port stays,
	// as a UART does, and the host sees RDY on the same port.
	USB bool
	// PortName is the name of our port for Quectel's AT+QURCCFG="urcport":
	// URCs reach us only when urcport is this name or "all".
	PortName string
	// Seed makes garbage bytes and storms reproducible.
	Seed uint64
	// TranscriptSize bounds the transcript (entries); 0 means 4096.
	TranscriptSize int
	Clock          clock.Clock  // nil means clock.Real{}
	Logger         *slog.Logger // nil discards
}

// DefaultConfig is an EG25-G with a ready Jazz SIM under one LTE cell,
// paced like the real module.
func DefaultConfig() Config {
	card := NewCard("41001", 1)
	return Config{
		Profile:       &EG25G,
		Card:          &card,
		RegisterDelay: 2 * time.Second,
		ScanDelay:     8 * time.Second,
		ActivateDelay: 300 * time.Millisecond,
		SIMInitDelay:  800 * time.Millisecond,
		RingInterval:  3 * time.Second,
		ReplugDelay:   500 * time.Millisecond,
		PortName:      "usbat",
	}
}

// ErrClosed is returned by methods of a Modem that has been closed.
var ErrClosed = errors.New("modem simulator closed")

// ErrNoPort is returned by faults that need a host attached when none is.
var ErrNoPort = errors.New("no host attached to the modem")

// Modem is a simulated cellular module. Its methods are safe for
// concurrent use; the fault methods (Unplug, Reboot, PullSIM, Ring, SMS, …)
// act at once and report to the host through URCs as the real module would.
type Modem struct {
	cfg   Config
	prof  *Profile
	clk   clock.Clock
	log   *slog.Logger
	sched *scheduler
	cmds  map[string]handler

	cancel context.CancelFunc
	wg     sync.WaitGroup

	// mu guards everything below, and the state of the session in sess.
	mu      sync.Mutex
	started bool
	closed  bool
	rng     *rand.Rand
	power   power
	gen     int // boot generation: work begun before a reboot is dropped
	boots   int
	// bootOnAttach makes the next port that attaches power the modem on,
	// as a module re-enumerates on USB after a reset.
	bootOnAttach bool
	st           settings
	nv           nvram
	card         *Card // nil: slot empty
	simInit      bool  // the card finished initialising
	unlocked     bool  // the PIN was entered this boot
	cells        []Cell
	denyCause    int // EMM cause the network rejects us with; 0 accepts
	reg          registration
	pdp          map[int]*pdpContext
	call         *call
	sms          smsStore
	sending      int  // +CMGS: the TPDU length announced, -1 in text mode
	mr           int  // the last message reference +CMGS gave
	cardSerial   int  // cards made for control requests
	imsActive    bool // IMS as set at the last boot
	delays       []delayRule
	sess         *session
	portSeq      int
	portChange   chan struct{} // closed and replaced when a port comes or goes
	tr           transcript
	replug       bool // the port was unplugged: wait ReplugDelay before the next
	stats        Stats
	// pending are the channels Storm and Churn return, closed when the
	// fault ends or the modem closes.
	pending map[chan struct{}]bool
}

type power int

const (
	powerOff power = iota
	powerOn
	powerHung
)

// New checks cfg and returns a modem that is powered off until Start.
func New(cfg Config) (*Modem, error) {
	prof := cfg.Profile
	if prof == nil {
		prof = &EG25G
	}
	if cfg.Card != nil {
		if err := checkCard(*cfg.Card); err != nil {
			return nil, fmt.Errorf("sim: %w", err)
		}
	}
	for _, c := range cfg.Cells {
		if err := checkCell(c); err != nil {
			return nil, fmt.Errorf("sim: %w", err)
		}
	}
	m := &Modem{
		cfg:        cfg,
		prof:       prof,
		clk:        cfg.Clock,
		log:        cfg.Logger,
		cmds:       handlers(prof),
		rng:        rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		pdp:        map[int]*pdpContext{},
		pending:    map[chan struct{}]bool{},
		portChange: make(chan struct{}),
	}
	if m.clk == nil {
		m.clk = clock.Real{}
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.cfg.PortName == "" {
		m.cfg.PortName = "usbat"
	}
	m.sched = newScheduler(m.clk)
	m.tr = newTranscript(cfg.TranscriptSize, m.clk)
	if cfg.Card != nil {
		c := *cfg.Card
		m.card = &c
	}
	m.cells = append([]Cell(nil), cfg.Cells...)
	if cfg.Cells == nil {
		plmn := "41001"
		if m.card != nil {
			plmn = m.card.HomePLMN()
		}
		m.cells = []Cell{NewCell(plmn, LTE, 0)}
	}
	m.nv = factoryNV(prof)
	m.sms.init()
	m.resetContexts(true)
	m.bootOnAttach = true
	return m, nil
}

func checkCard(c Card) error {
	switch {
	case !validDigits(c.ICCID, 18, 20):
		return fmt.Errorf("card ICCID %q: want 18 to 20 digits", c.ICCID)
	case !validDigits(c.IMSI, 6, 15) || !validPLMN(c.IMSI[:5]):
		return fmt.Errorf("card IMSI %q: want up to 15 digits", c.IMSI)
	case !validDigits(c.PIN, 4, 8):
		return fmt.Errorf("card PIN: want 4 to 8 digits")
	case !validDigits(c.PUK, 8, 8):
		return fmt.Errorf("card PUK: want 8 digits")
	case c.PINRetries < 0 || c.PINRetries > 3 || c.PUKRetries < 0 || c.PUKRetries > 10:
		return fmt.Errorf("card retry counters %d/%d out of range", c.PINRetries, c.PUKRetries)
	}
	return nil
}

func checkCell(c Cell) error {
	if !validPLMN(c.PLMN) {
		return fmt.Errorf("cell PLMN %q: want 5 or 6 digits", c.PLMN)
	}
	if c.AcT.family() == 0 {
		return fmt.Errorf("cell access technology %d unknown", c.AcT)
	}
	return nil
}

// Start powers the modem on the first port line gives it and keeps serving
// line's ports until Close. The modem owns line from here on.
func (m *Modem) Start(line Line) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	if m.started {
		m.mu.Unlock()
		return errors.New("sim: modem already started")
	}
	m.started = true
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.mu.Unlock()

	m.wg.Add(2)
	go func() {
		defer m.wg.Done()
		m.sched.run(ctx)
	}()
	go func() {
		defer m.wg.Done()
		m.serveLine(ctx, line)
	}()
	return nil
}

// Close hangs up the port, stops every goroutine of the modem and waits for
// them. It is safe to call more than once.
func (m *Modem) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	cancel := m.cancel
	s := m.sess
	m.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	if s != nil {
		s.stop()
	}
	m.wg.Wait()
	m.mu.Lock()
	for ch := range m.pending {
		m.endPending(ch)
	}
	m.mu.Unlock()
	return nil
}

// newPending makes a channel that endPending or Close will close.
func (m *Modem) newPending() chan struct{} {
	ch := make(chan struct{})
	m.pending[ch] = true
	return ch
}

func (m *Modem) endPending(ch chan struct{}) {
	if m.pending[ch] {
		delete(m.pending, ch)
		close(ch)
	}
}

// Run starts the modem on line and closes it when ctx is done.
func (m *Modem) Run(ctx context.Context, line Line) error {
	if err := m.Start(line); err != nil {
		return err
	}
	<-ctx.Done()
	return m.Close()
}

// serveLine attaches each port the line offers, one at a time.
func (m *Modem) serveLine(ctx context.Context, line Line) {
	defer line.Close()
	for ctx.Err() == nil {
		if !m.waitPowered(ctx) {
			return
		}
		port, path, err := line.Next(ctx)
		if err != nil {
			if ctx.Err() == nil {
				m.log.Error("modem line failed", "err", err)
			}
			return
		}
		m.serve(ctx, port, path)
		if ctx.Err() != nil {
			return
		}
		if d := m.cfg.ReplugDelay; d > 0 && m.replugPending() {
			t := m.clk.NewTimer(d)
			select {
			case <-ctx.Done():
			case <-t.C():
			}
			t.Stop()
		}
	}
}

// waitPowered holds a USB modem's next port back while it is powered off.
func (m *Modem) waitPowered(ctx context.Context) bool {
	for {
		m.mu.Lock()
		if !m.cfg.USB || m.power != powerOff || m.bootOnAttach {
			m.mu.Unlock()
			return true
		}
		ch := m.portChange
		m.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

func (m *Modem) replugPending() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.replug
}

// serve runs one port until it closes or the modem stops.
func (m *Modem) serve(ctx context.Context, port io.ReadWriteCloser, path string) {
	s := newSession(m, port, path)
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		port.Close()
		return
	}
	m.portSeq++
	s.seq = m.portSeq
	m.sess = s
	m.replug = false
	m.notePortChange()
	m.tr.add('#', fmt.Sprintf("port %d attached %s", s.seq, path))
	m.log.Info("modem port attached", "port", s.seq, "path", path)
	if m.bootOnAttach {
		m.bootOnAttach = false
		m.powerOn()
	}
	m.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.writeLoop()
	}()
	s.readLoop()
	s.stop()
	wg.Wait()

	m.mu.Lock()
	m.sess = nil
	m.notePortChange()
	m.tr.add('#', fmt.Sprintf("port %d detached", s.seq))
	m.mu.Unlock()
	m.log.Info("modem port detached", "port", s.seq)
	close(s.gone)
}

func (m *Modem) notePortChange() {
	close(m.portChange)
	m.portChange = make(chan struct{})
}

// Port describes the port a host is attached to.
type Port struct {
	Seq  int    // 1 for the first port, counting each re-offer
	Path string // the pty slave ("/dev/pts/N"), or the socket's path
}

// WaitPort returns the attached port once its Seq is greater than after,
// waiting for it: WaitPort(ctx, 0) is any port, WaitPort(ctx, old.Seq) the
// one offered after an unplug or a USB reset.
func (m *Modem) WaitPort(ctx context.Context, after int) (Port, error) {
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return Port{}, ErrClosed
		}
		if s := m.sess; s != nil && s.seq > after && !s.stopped() {
			m.mu.Unlock()
			return Port{Seq: s.seq, Path: s.path}, nil
		}
		ch := m.portChange
		m.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Port{}, ctx.Err()
		}
	}
}

// Path is the path of the attached port, or "" when none is attached.
func (m *Modem) Path() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sess == nil {
		return ""
	}
	return m.sess.path
}
