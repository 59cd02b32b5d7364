package voice

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/voice/internal/testpki"
)

// world is an enrollment CA, a directory, an in-process exchange and a TURN relay.
type world struct {
	ca    *testpki.CA
	dir   *testpki.Directory
	sw    *Switch
	relay *relay
}

func newWorld(t testing.TB) *world {
	t.Helper()
	ca := newWorldCA(t)
	return &world{ca: ca, dir: newDirectory(ca), sw: NewSwitch(), relay: newRelay(t, nil)}
}

func newWorldCA(t testing.TB) *testpki.CA            { return testpki.NewCA(t, "enrollment") }
func newDirectory(ca *testpki.CA) *testpki.Directory { return testpki.NewDirectory(ca.Pool) }

// handset is a Phone with test audio, running until the test ends.
type handset struct {
	id      string
	dev     testpki.Device
	phone   *Phone
	media   *testMedia
	updates chan State
	refused chan Refusal
	done    chan struct{}
	stop    context.CancelFunc
}

func (w *world) handset(t testing.TB, id string, mods ...func(*Config)) *handset {
	t.Helper()
	dev := w.ca.Device(t, id)
	w.dir.Add(dev)
	return w.start(t, dev, mods...)
}

func (w *world) start(t testing.TB, dev testpki.Device, mods ...func(*Config)) *handset {
	t.Helper()
	h := &handset{
		id: dev.ID, dev: dev, media: newTestMedia(),
		updates: make(chan State, 4096), refused: make(chan Refusal, 64), done: make(chan struct{}),
	}
	level := slog.LevelError
	if os.Getenv("VOICE_TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	cfg := Config{
		Identity: Identity{DeviceID: dev.ID, Cert: dev.Cert, Key: dev.Key},
		Peers:    w.dir,
		Roots:    w.ca.Pool,
		TURN: func(context.Context, CallInfo) ([]ICEServer, error) {
			return w.relay.servers(dev.ID, w.relay.udpURL()), nil
		},
		Signaling: w.sw.Port(dev.ID),
		Media:     h.media,
		Clock:     clock.Real{},
		Log:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
		OnUpdate: func(s State) {
			select {
			case h.updates <- s:
			default:
			}
		},
		OnRefusal: func(r Refusal) {
			select {
			case h.refused <- r:
			default:
			}
		},
	}
	for _, m := range mods {
		m(&cfg)
	}
	var err error
	if h.phone, err = NewPhone(cfg); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.stop = cancel
	go func() {
		defer close(h.done)
		if err := h.phone.Run(ctx); err != nil {
			t.Errorf("%s: Run: %v", dev.ID, err)
		}
	}()
	t.Cleanup(h.shutdown)
	return h
}

// shutdown stops the Phone and waits until Run has returned.
func (h *handset) shutdown() {
	h.stop()
	<-h.done
}

// await returns the first published State that satisfies ok.
func (h *handset) await(t testing.TB, what string, ok func(State) bool) State {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case s := <-h.updates:
			if ok(s) {
				return s
			}
		case <-deadline:
			t.Fatalf("%s: timed out waiting for %s; last state %+v", h.id, what, h.phone.State())
		}
	}
}

func (h *handset) awaitPhase(t testing.TB, ph Phase) State {
	t.Helper()
	return h.await(t, string(ph), func(s State) bool { return s.Phase == ph })
}

// awaitEnd waits for the end of the call and checks its reason.
func (h *handset) awaitEnd(t testing.TB, want string) State {
	t.Helper()
	s := h.awaitPhase(t, PhaseEnded)
	if got := s.End.String(); got != want {
		t.Fatalf("%s: call ended with %q (%s), want %q", h.id, got, s.End.Detail, want)
	}
	return s
}

// connect dials from a to b, answers, and waits until both sides show the SAS.
func connect(t testing.TB, a, b *handset) (State, State) {
	t.Helper()
	if err := a.phone.Dial(b.id); err != nil {
		t.Fatal(err)
	}
	b.awaitPhase(t, PhaseIncoming)
	a.awaitPhase(t, PhaseRinging)
	if err := b.phone.Answer(); err != nil {
		t.Fatal(err)
	}
	hasSAS := func(s State) bool { return s.Phase == PhaseConnected && s.SAS != "" }
	return a.await(t, "connected with SAS", hasSAS), b.await(t, "connected with SAS", hasSAS)
}

// testMedia stands in for the audio pipeline: it sends numbered 60-byte
// frames every 20 ms (24 kbit/s CBR Opus) and records what arrives.
type testMedia struct {
	mu      sync.Mutex
	streams []*testStream
	// immediate: the first frame is ready at once, as from a capture device
	// that runs before the call connects.
	immediate bool
}

func newTestMedia() *testMedia { return &testMedia{} }

func (m *testMedia) Open(CallInfo) (Stream, error) {
	s := &testStream{first: make(chan struct{}), opened: time.Now(), immediate: m.immediate}
	m.mu.Lock()
	m.streams = append(m.streams, s)
	m.mu.Unlock()
	return s, nil
}

func (m *testMedia) last() *testStream {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.streams) == 0 {
		return nil
	}
	return m.streams[len(m.streams)-1]
}

type testStream struct {
	mu        sync.Mutex
	next      uint32
	got       []uint32    // numbers of the frames received
	gotAt     []time.Time // when each arrived
	sentAt    []time.Time // when each of ours was handed to the call, by number
	bad       int         // frames that were not ours
	first     chan struct{}
	closed    bool
	ticker    *time.Ticker
	opened    time.Time
	immediate bool
}

const testFrameLen = 60

func (s *testStream) ReadFrame(ctx context.Context, buf []byte) (int, error) {
	s.mu.Lock()
	wait := !(s.immediate && s.ticker == nil)
	if s.ticker == nil {
		s.ticker = time.NewTicker(FrameDuration)
	}
	tk := s.ticker
	s.mu.Unlock()
	if wait {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-tk.C:
		}
	}
	s.mu.Lock()
	n := s.next
	s.next++
	s.sentAt = append(s.sentAt, time.Now())
	s.mu.Unlock()
	binary.BigEndian.PutUint32(buf, n)
	for i := 4; i < testFrameLen; i++ {
		buf[i] = byte(n)
	}
	return testFrameLen, nil
}

func (s *testStream) WriteFrame(f Frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(f.Payload) != testFrameLen {
		s.bad++
		return
	}
	n := binary.BigEndian.Uint32(f.Payload)
	for _, c := range f.Payload[4:] {
		if c != byte(n) {
			s.bad++
			return
		}
	}
	if len(s.got) == 0 {
		close(s.first)
	}
	s.got = append(s.got, n)
	s.gotAt = append(s.gotAt, time.Now())
}

func (s *testStream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ticker != nil {
		s.ticker.Stop()
	}
	s.closed = true
	return nil
}

func (s *testStream) received() (frames []uint32, bad int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got), s.bad
}

// awaitFrames waits until the handset's audio has received at least n good
// frames in its current call.
func (h *handset) awaitFrames(t testing.TB, n int) {
	t.Helper()
	h.awaitFramesWithin(t, n, 15*time.Second)
}

// awaitFramesWithin is awaitFrames with its own limit, for recoveries that
// wait out protocol timers (a lost restart offer is sent again after 5 s)
// on a loaded machine.
func (h *handset) awaitFramesWithin(t testing.TB, n int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if s := h.media.last(); s != nil {
			s.mu.Lock()
			have := len(s.got)
			s.mu.Unlock()
			if have >= n {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	var got []uint32
	var bad int
	if s := h.media.last(); s != nil {
		got, bad = s.received()
	}
	t.Fatalf("%s: received %d frames (%d bad), want %d", h.id, len(got), bad, n)
}

// frames is what the handset's audio has received in its current call.
func (h *handset) frames() []uint32 {
	if s := h.media.last(); s != nil {
		got, _ := s.received()
		return got
	}
	return nil
}

// checkGoroutines fails the test if goroutines started during it are still
// running once it is over (pion's included).
func checkGoroutines(t testing.TB) {
	t.Helper()
	before := goroutineIDs()
	t.Cleanup(func() {
		var extra []string
		for range 100 { // up to 5 s for pion to wind down
			extra = extra[:0]
			for id, stack := range goroutineStacks() {
				if !before[id] && !strings.Contains(stack, "testing.(*T)") {
					extra = append(extra, stack)
				}
			}
			if len(extra) == 0 {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Errorf("%d goroutines leaked:\n%s", len(extra), strings.Join(extra, "\n\n"))
	})
}

func goroutineIDs() map[string]bool {
	ids := map[string]bool{}
	for id := range goroutineStacks() {
		ids[id] = true
	}
	return ids
}

func goroutineStacks() map[string]string {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	out := map[string]string{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		head, _, _ := strings.Cut(g, "\n")
		var id int
		if _, err := fmt.Sscanf(head, "goroutine %d", &id); err == nil {
			out[fmt.Sprint(id)] = g
		}
	}
	return out
}
