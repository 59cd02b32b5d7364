package ui

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/draw"
	"image/png"
	"runtime"
	"sync"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/daemon/state"
	"mehfooz/ui/key"
)

// recorder is a Display that keeps a copy of the screen and reports flushes.
type recorder struct {
	mu      sync.Mutex
	img     *image.RGBA
	flushes int
	pixels  int
	flushed chan struct{}
	err     error
}

func newRecorder(w, h int) *recorder {
	return &recorder{img: image.NewRGBA(image.Rect(0, 0, w, h)), flushed: make(chan struct{}, 64)}
}

func (r *recorder) Bounds() image.Rectangle { return r.img.Rect }

func (r *recorder) Flush(frame *image.RGBA, rects []image.Rectangle) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return r.err
	}
	for _, rc := range rects {
		draw.Draw(r.img, rc, frame, rc.Min, draw.Src)
		r.pixels += rc.Dx() * rc.Dy()
	}
	r.flushes++
	r.flushed <- struct{}{}
	return nil
}

func (r *recorder) count() (flushes, pixels int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.flushes, r.pixels
}

func waitFlush(t *testing.T, r *recorder) {
	t.Helper()
	select {
	case <-r.flushed:
	case <-time.After(5 * time.Second):
		t.Fatal("no flush")
	}
}

// checkGoroutines fails if goroutines started during the test outlive it.
func checkGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				t.Errorf("goroutines: %d before, %d after", before, runtime.NumGoroutine())
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// press sends k to the UI, failing rather than hanging if Run is gone.
func (r *running) press(t *testing.T, ks ...key.Key) {
	t.Helper()
	for _, k := range ks {
		select {
		case r.keys <- k:
		case <-r.exited:
			t.Fatalf("Run exited (%v) before key %v", r.err, k)
		case <-time.After(5 * time.Second):
			t.Fatalf("key %v not taken", k)
		}
	}
}

type running struct {
	app     *App
	clk     *clock.Fake
	snaps   chan state.Snapshot
	keys    chan key.Key
	intents chan state.Intent
	disp    *recorder
	cancel  context.CancelFunc
	exited  chan struct{} // closed when Run returns
	err     error         // what Run returned; read after exited
}

func start(t *testing.T, first state.Snapshot) *running {
	t.Helper()
	checkGoroutines(t)
	r := &running{
		clk:     clock.NewFake(t0),
		snaps:   make(chan state.Snapshot, 1),
		keys:    make(chan key.Key),
		intents: make(chan state.Intent, 16),
		disp:    newRecorder(240, 320),
		exited:  make(chan struct{}),
	}
	r.snaps <- first
	app, err := New(Config{Display: r.disp, Snapshots: r.snaps, Keys: r.keys, Clock: r.clk,
		Send: func(i state.Intent) { r.intents <- i }})
	if err != nil {
		t.Fatal(err)
	}
	r.app = app
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		r.err = app.Run(ctx)
		close(r.exited)
	}()
	t.Cleanup(func() {
		cancel()
		<-r.exited
	})
	return r
}

func TestRunRendersAndServesKeys(t *testing.T) {
	r := start(t, base())
	waitFlush(t, r.disp)
	if _, px := r.disp.count(); px != 240*320 {
		t.Fatalf("first frame flushed %d pixels, want the whole screen", px)
	}
	r.press(t, key.Down, key.Call)
	select {
	case i := <-r.intents:
		if i.Kind != state.IntentDial || i.ContactID != "pk-0012" {
			t.Fatalf("intent %+v, want dial pk-0012", i)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no intent")
	}
	shot, err := r.app.Screenshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := renderFixture(t, fixture{snap: base, keys: []key.Key{key.Down}}, image.Pt(240, 320))
	if n, worst := diff(want, img); n > 0 {
		t.Fatalf("screenshot differs from the expected frame in %d pixels (worst %d)", n, worst)
	}
	// The display saw the same frame: flushes carried every change.
	r.disp.mu.Lock()
	same := bytes.Equal(r.disp.img.Pix, want.Pix)
	r.disp.mu.Unlock()
	if !same {
		t.Fatal("display content differs from the rendered frame: a dirty area was not flushed")
	}
}

func TestRunPacesFrames(t *testing.T) {
	r := start(t, base())
	waitFlush(t, r.disp)
	// A change within MinFrame of the last frame waits for the frame timer.
	r.press(t, key.Down)
	if !r.clk.BlockUntil(2, r.exited) { // the ticker and the frame timer
		t.Fatal("Run exited")
	}
	if n, _ := r.disp.count(); n != 1 {
		t.Fatalf("%d flushes before the frame timer fired, want 1", n)
	}
	r.press(t, key.Down) // coalesces into the same frame
	r.clk.Advance(MinFrame)
	waitFlush(t, r.disp)
	n, px := r.disp.count()
	if n != 2 {
		t.Fatalf("%d flushes, want 2", n)
	}
	// Two rows changed twice: three row rectangles at most, never the screen.
	if moved := px - 240*320; moved <= 0 || moved > 3*r.app.core.t.RowH*240 {
		t.Fatalf("second frame flushed %d pixels, want a few rows", moved)
	}
}

func TestRunEndsWhenStreamCloses(t *testing.T) {
	r := start(t, base())
	waitFlush(t, r.disp)
	close(r.snaps)
	<-r.exited
	if !errors.Is(r.err, ErrStreamClosed) {
		t.Fatalf("Run = %v, want ErrStreamClosed", r.err)
	}
	if _, err := r.app.Screenshot(context.Background()); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Screenshot after Run = %v, want ErrNotRunning", err)
	}
}

func TestRunReportsDisplayFailure(t *testing.T) {
	r := start(t, base())
	waitFlush(t, r.disp)
	boom := errors.New("fb gone")
	r.disp.mu.Lock()
	r.disp.err = boom
	r.disp.mu.Unlock()
	r.clk.Advance(time.Second)
	r.press(t, key.Down)
	<-r.exited
	if !errors.Is(r.err, boom) {
		t.Fatalf("Run = %v, want the display's error", r.err)
	}
}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Fatal("New accepted an empty Config")
	}
	if _, err := New(Config{Display: newRecorder(50, 50), Snapshots: make(chan state.Snapshot), Send: func(state.Intent) {}, Clock: clock.Real{}}); err == nil {
		t.Fatal("New accepted a 50x50 display")
	}
}
