package daemon

import (
	"context"
	"fmt"
	"image"
	"io"
	"net"

	"mehfooz/daemon/api"
	"mehfooz/daemon/pid1"
	"mehfooz/daemon/state"
	"mehfooz/ui"
	"mehfooz/ui/key"
)

// APIService serves the local API. listen is called on every (re)start, so
// a restarted service gets a fresh socket; allow checks each peer.
func (d *Daemon) APIService(listen func() (net.Listener, error), allow func(net.Conn) error) pid1.Service {
	return pid1.Service{Name: "api", Run: func(ctx context.Context) error {
		ln, err := listen()
		if err != nil {
			return fmt.Errorf("api: listen: %w", err)
		}
		return api.NewServer(d, d.log.With("subsystem", "api"), allow).Serve(ctx, ln)
	}}
}

// BenchService serves the enrollment part of the local API on the
// technician's bench line (board.Bench): open is called on every
// (re)start and returns the line as a byte stream.
func (d *Daemon) BenchService(open func(context.Context) (io.ReadWriteCloser, error)) pid1.Service {
	return pid1.Service{Name: "bench", Run: func(ctx context.Context) error {
		line, err := open(ctx)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		return api.NewBenchServer(d, d.log.With("subsystem", "bench")).Serve(ctx, api.StreamListener(line))
	}}
}

// UIService draws the screen on display and reads keys. firstFrame, if not
// nil, is called once, after the first frame was drawn.
func (d *Daemon) UIService(display ui.Display, keys <-chan key.Key, firstFrame func()) pid1.Service {
	return pid1.Service{Name: "ui", Run: func(ctx context.Context) error {
		snaps, cancel := d.hub.Subscribe()
		defer cancel()
		app, err := ui.New(ui.Config{
			Display:   &firstFlush{Display: display, done: firstFrame},
			Snapshots: snaps,
			Keys:      keys,
			Send:      d.uiIntent(ctx),
			Clock:     d.clock,
			Log:       d.log.With("subsystem", "ui"),
		})
		if err != nil {
			return err
		}
		d.SetScreen(app.Screenshot)
		defer d.SetScreen(nil)
		return app.Run(ctx)
	}}
}

// uiIntent hands the UI's intents to the daemon without blocking the UI
// goroutine (a dial or an unlock may take a while), in the order the user
// gave them: one worker per UI run takes them from a queue. A full queue
// drops the intent, as a phone ignores keys pressed while it is stuck.
func (d *Daemon) uiIntent(ctx context.Context) func(state.Intent) {
	queue := make(chan state.Intent, 16)
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for {
			select {
			case <-ctx.Done():
				for {
					select {
					case in := <-queue:
						in.Wipe()
					default:
						return
					}
				}
			case in := <-queue:
				if err := d.Intent(ctx, in); err != nil {
					d.log.Debug("ui intent", "kind", in.Kind, "err", err)
				}
			}
		}
	}()
	return func(in state.Intent) {
		select {
		case queue <- in:
		default:
			in.Wipe()
			d.log.Warn("ui intent dropped: daemon busy", "kind", in.Kind)
		}
	}
}

// firstFlush calls done after the first frame reached the display.
type firstFlush struct {
	ui.Display
	done func()
}

func (f *firstFlush) Flush(frame *image.RGBA, rects []image.Rectangle) error {
	err := f.Display.Flush(frame, rects)
	if err == nil && f.done != nil {
		f.done()
		f.done = nil
	}
	return err
}
