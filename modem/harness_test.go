package modem

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"mehfooz/modem/policy"
	"mehfooz/modem/sim"
)

// pipeLine is a sim.Line over net.Pipe: the simulator gets one end of each
// pipe, the Modem's opener the other. A port appears only while the
// simulator offers one, as a USB tty does.
type pipeLine struct {
	ports chan io.ReadWriteCloser
}

func newPipeLine() *pipeLine { return &pipeLine{ports: make(chan io.ReadWriteCloser)} }

func (l *pipeLine) Next(ctx context.Context) (io.ReadWriteCloser, string, error) {
	host, dev := net.Pipe()
	select {
	case l.ports <- host:
		return dev, "pipe", nil
	case <-ctx.Done():
		host.Close()
		dev.Close()
		return nil, "", ctx.Err()
	}
}

func (l *pipeLine) Close() error { return nil }

var errNoDevice = errors.New("no such device")

// open waits briefly for the simulator to offer a port, like an opener
// that finds no device node right after an unplug.
func (l *pipeLine) open(ctx context.Context) (io.ReadWriteCloser, error) {
	t := time.NewTimer(200 * time.Millisecond)
	defer t.Stop()
	select {
	case p := <-l.ports:
		return p, nil
	case <-t.C:
		return nil, errNoDevice
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// rig is a Modem driven against a simulated modem.
type rig struct {
	t      *testing.T
	sim    *sim.Modem
	m      *Modem
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	events []Event
	notify chan struct{}
}

// fastTiming keeps the state machine's waits short: tests wait for
// conditions, never for time.
var fastTiming = Timing{
	Poll: 200 * time.Millisecond, SIMPoll: 50 * time.Millisecond, Boot: time.Second,
	RegRetry: 100 * time.Millisecond, RegMax: 400 * time.Millisecond,
	DataRetry: 50 * time.Millisecond, DataMax: 200 * time.Millisecond,
	Reopen: 20 * time.Millisecond, ReopenMax: 200 * time.Millisecond, ResetSettle: 20 * time.Millisecond,
	Command: 500 * time.Millisecond, Drain: 20 * time.Millisecond, Probe: 200 * time.Millisecond,
}

var testProvision = policy.Config{Networks: []policy.Network{
	{PLMN: "41001", APN: "gov.secure.jazz", PDPType: "IPV4V6"},
	{PLMN: "41004", APN: "mehfooz.zong", Auth: "chap", User: "h1", Password: "s3cret"},
	{PLMN: "41006", APN: "corp.telenor.pk", Serving: []string{"41007"}},
}}

// rigOpt adjusts the simulator's and the Modem's configuration.
type rigOpt func(*sim.Config, *Config)

// setup is what newRig builds from; lineOpt replaces the in-memory line.
type setup struct {
	sim  sim.Config
	cfg  Config
	line sim.Line
}

type lineOpt func(*testing.T, *setup)

func newRig(t *testing.T, opts ...rigOpt) *rig {
	return newRigOn(t, nil, opts...)
}

// newRigOn is newRig on the line lo makes (nil: an in-memory pipe).
func newRigOn(t *testing.T, lo lineOpt, opts ...rigOpt) *rig {
	t.Helper()
	checkLeaks(t)
	card := sim.NewCard("41001", 1)
	pl := newPipeLine()
	st := setup{
		sim:  sim.Config{Profile: &sim.EG25G, Card: &card, PortName: "usbat", RingInterval: 100 * time.Millisecond},
		cfg:  Config{Open: pl.open, Provision: testProvision, Timing: fastTiming, Log: testLog(t)},
		line: pl,
	}
	if lo != nil {
		lo(t, &st)
	}
	for _, o := range opts {
		o(&st.sim, &st.cfg)
	}
	scfg, mcfg, line := st.sim, st.cfg, st.line
	s, err := sim.New(scfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(line); err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, sim: s, done: make(chan struct{}), notify: make(chan struct{}, 1)}
	mcfg.OnEvent = r.record
	m, err := New(mcfg)
	if err != nil {
		t.Fatal(err)
	}
	r.m = m
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		if err := m.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(r.stop)
	return r
}

func (r *rig) stop() {
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		r.t.Error("Run did not return after cancel")
	}
	r.sim.Close()
	if st := r.m.Status(); st.Phase != PhaseOff {
		r.t.Errorf("phase after Run returned: %s", st.Phase)
	}
}

func (r *rig) record(e Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// waitFor waits until cond holds on the status, polling on every event.
func (r *rig) waitFor(what string, cond func(Status) bool) Status {
	r.t.Helper()
	deadline := time.After(15 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		st := r.m.Status()
		if cond(st) {
			return st
		}
		select {
		case <-r.notify:
		case <-tick.C:
		case <-deadline:
			r.t.Fatalf("timed out waiting for %s; status %+v\nsimulator %+v", what, st, r.sim.Status())
		}
	}
}

func (r *rig) waitPhase(p Phase) Status {
	r.t.Helper()
	return r.waitFor("phase "+string(p), func(st Status) bool { return st.Phase == p })
}

// waitAlert waits for an alert of kind and returns it.
func (r *rig) waitAlert(kind AlertKind) Alert {
	r.t.Helper()
	var got Alert
	r.waitFor("alert "+string(kind), func(Status) bool {
		for _, e := range r.eventList() {
			if a, ok := e.(Alert); ok && a.Kind == kind {
				got = a
				return true
			}
		}
		return false
	})
	return got
}

func (r *rig) eventList() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

func (r *rig) alerts(kind AlertKind) []Alert {
	var out []Alert
	for _, e := range r.eventList() {
		if a, ok := e.(Alert); ok && a.Kind == kind {
			out = append(out, a)
		}
	}
	return out
}

// testLog logs to the test output with -v and MODEM_TEST_LOG=1.
func testLog(t *testing.T) *slog.Logger {
	if os.Getenv("MODEM_TEST_LOG") == "" {
		return nil
	}
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(b), "\n"))
	return len(b), nil
}

// checkLeaks fails the test if a goroutine of the modem stack outlives it.
func checkLeaks(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for {
			leaked := stackGoroutines()
			if leaked == "" {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("goroutines leaked:\n%s", leaked)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func stackGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var leaked []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "testing.tRunner") {
			continue
		}
		if strings.Contains(g, "mehfooz/modem.") || strings.Contains(g, "mehfooz/modem/at.") || strings.Contains(g, "mehfooz/modem/sim.") {
			leaked = append(leaked, g)
		}
	}
	return strings.Join(leaked, "\n\n")
}
