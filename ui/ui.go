// Package ui is the handset's face: it renders the daemon's state stream on
// a Display and turns keypad keys into Intents for the daemon. It holds no
// call or key logic; what it shows is a function of the latest Snapshot and
// of where the user navigated.
//
// One goroutine, the caller of Run, owns all UI state. Snapshots, keys and
// timers arrive on channels; changes invalidate areas of the frame, and the
// frame is repainted and flushed at most every MinFrame, only where it
// changed. The subpackages split the rest: key (the logical keys), text
// (fonts, Arabic shaping), widget (the toolkit), theme (the look), screen
// (the screens), and fb and input, the only parts that touch devices.
package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"time"

	"mehfooz/clock"
	"mehfooz/daemon/state"
	"mehfooz/ui/key"
	"mehfooz/ui/theme"
)

// MinFrame is the shortest time between two repaints (LVGL's default
// refresh period): bursts of snapshots or held keys coalesce into one frame.
const MinFrame = 30 * time.Millisecond

// tickEvery drives the call timer and the screens that change with time.
const tickEvery = time.Second

var (
	// ErrStreamClosed is returned by Run when the snapshot stream ends.
	ErrStreamClosed = errors.New("ui: snapshot stream closed")
	// ErrNotRunning is returned by Screenshot when Run is not running.
	ErrNotRunning = errors.New("ui: not running")
)

// Config is what the UI is built from.
type Config struct {
	// Display receives the frames; its bounds set the screen size.
	Display Display
	// Snapshots is the daemon's state stream; the first value is the
	// current state (state.Hub.Subscribe gives exactly this).
	Snapshots <-chan state.Snapshot
	// Keys delivers logical key presses (ui/input produces them).
	Keys <-chan key.Key
	// Send delivers an Intent to the daemon. It is called on the UI
	// goroutine and must not block for long. An unlock Intent's PIN is a
	// fresh slice the receiver owns and must wipe (state.Intent.Wipe).
	Send func(state.Intent)
	// Clock is the time source; clock.Real{} on a handset.
	Clock clock.Clock
	// Log receives rendering errors; nil discards them.
	Log *slog.Logger
	// Palette is the colour scheme; the zero value means theme.Dark.
	Palette theme.Palette
}

// App is a running UI.
type App struct {
	cfg   Config
	core  *core
	shots chan chan *image.RGBA
	done  chan struct{}
}

// New builds the UI for cfg.Display's size. It draws nothing until Run.
func New(cfg Config) (*App, error) {
	if cfg.Display == nil || cfg.Snapshots == nil || cfg.Send == nil || cfg.Clock == nil {
		return nil, errors.New("ui: Config needs Display, Snapshots, Send and Clock")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Palette == (theme.Palette{}) {
		cfg.Palette = theme.Dark
	}
	t, err := theme.New(cfg.Display.Bounds(), cfg.Palette)
	if err != nil {
		return nil, fmt.Errorf("ui: new: %w", err)
	}
	return &App{
		cfg:   cfg,
		core:  newCore(t, cfg.Send, cfg.Clock.Now()),
		shots: make(chan chan *image.RGBA),
		done:  make(chan struct{}),
	}, nil
}

// Run draws the UI and serves snapshots, keys and screenshot requests until
// ctx is cancelled (it then returns nil), the snapshot stream closes
// (ErrStreamClosed) or the display fails. It starts no goroutines.
func (a *App) Run(ctx context.Context) error {
	defer close(a.done)
	clk := a.cfg.Clock
	c := a.core
	snaps, keys := a.cfg.Snapshots, a.cfg.Keys

	var lastFrame time.Time
	frame := clk.NewTimer(time.Hour)
	frame.Stop()
	frameArmed := false
	defer frame.Stop()
	ticker := clk.NewTicker(tickEvery)
	defer ticker.Stop()

	flush := func() error {
		if !c.have || !c.dirty() {
			return nil
		}
		rects := c.render()
		lastFrame = clk.Now()
		if err := a.cfg.Display.Flush(c.frame, rects); err != nil {
			return fmt.Errorf("ui: flush: %w", err)
		}
		return nil
	}
	for {
		// Nothing is drawn before the first snapshot: the first frame
		// shows the daemon's current state, not a guess.
		if c.have && c.dirty() && !frameArmed {
			if wait := MinFrame - clk.Since(lastFrame); wait > 0 {
				frame.Reset(wait)
				frameArmed = true
			} else if err := flush(); err != nil {
				return err
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case s, ok := <-snaps:
			if !ok {
				return ErrStreamClosed
			}
			c.apply(s, clk.Now())
		case k, ok := <-keys:
			if !ok {
				keys = nil // no more keys; keep showing state
				continue
			}
			c.key(k)
		case now := <-ticker.C():
			if c.animating() {
				c.tick(now)
			}
		case <-frame.C():
			frameArmed = false
			if err := flush(); err != nil {
				return err
			}
		case reply := <-a.shots:
			if err := flush(); err != nil {
				return err
			}
			shot := image.NewRGBA(c.frame.Rect)
			copy(shot.Pix, c.frame.Pix)
			reply <- shot
		}
	}
}

// Screenshot returns the frame on the display as a PNG. It is safe to call
// from any goroutine. It waits for Run to serve it (or for ctx), and fails
// with ErrNotRunning once Run has returned.
func (a *App) Screenshot(ctx context.Context) ([]byte, error) {
	reply := make(chan *image.RGBA, 1)
	select {
	case a.shots <- reply:
	case <-a.done:
		return nil, ErrNotRunning
	case <-ctx.Done():
		return nil, fmt.Errorf("ui: screenshot: %w", ctx.Err())
	}
	var img *image.RGBA
	select {
	case img = <-reply:
	case <-a.done:
		return nil, ErrNotRunning
	case <-ctx.Done():
		return nil, fmt.Errorf("ui: screenshot: %w", ctx.Err())
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("ui: screenshot: %w", err)
	}
	return buf.Bytes(), nil
}
