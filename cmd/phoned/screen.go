package main

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"sync"
	"time"

	"mehfooz/daemon/pid1"
	"mehfooz/ui"
	"mehfooz/ui/fb"
	"mehfooz/ui/input"
	"mehfooz/ui/key"
)

// deviceWait bounds how long phoned waits for the framebuffer to appear
// after its driver module loaded.
const deviceWait = 10 * time.Second

// openDisplay returns the board's screen: its framebuffer, mapped, on a
// device board; an in-memory image of --screen's size on sim (screenshots
// still work through the local API).
func openDisplay(o *options, log *slog.Logger) (ui.Display, error) {
	dev := o.board.Display.Device
	if dev == "" {
		var w, h int
		if _, err := fmt.Sscanf(o.screen, "%dx%d", &w, &h); err != nil || w < 120 || h < 120 || w > 4096 || h > 4096 {
			return nil, fmt.Errorf("--screen %q: want WIDTHxHEIGHT", o.screen)
		}
		return ui.ImageDisplay(image.NewRGBA(image.Rect(0, 0, w, h))), nil
	}
	var f *os.File
	var err error
	for deadline := time.Now().Add(deviceWait); ; time.Sleep(50 * time.Millisecond) {
		if f, err = os.OpenFile(dev, os.O_RDWR, 0); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("screen: %w", err)
	}
	// Take the console into graphics mode first: on a DRM framebuffer this
	// is what makes the kernel's console take over the display and set its
	// mode (Debian defers that until text reaches it), after which the text
	// console no longer draws over the UI. phoned never gives it back.
	if tty, err := os.OpenFile("/dev/tty0", os.O_RDWR, 0); err == nil {
		if _, err := fb.Graphics(tty); err != nil {
			log.Warn("console graphics mode", "err", err)
		}
		tty.Close()
	}
	d, err := fb.Open(f) // the mapping outlives f's descriptor
	f.Close()
	if err != nil {
		return nil, err
	}
	return d, nil
}

// keysService reads the board's keypads and buttons (evdev, grabbed so no
// other reader sees the keys, the kernel's console included) and sends
// logical keys to out; the power key asks for a clean power-off instead (it
// is also what the QEMU board's ACPI power button sends). On sim there are
// none: the demo drives the handset through the local API.
func keysService(o *options, out chan<- key.Key, power func(), log *slog.Logger) (pid1.Service, error) {
	km, err := input.ParseKeymap(o.board.Keys)
	if err != nil {
		return pid1.Service{}, err
	}
	return pid1.Service{Name: "keys", Run: func(ctx context.Context) error {
		if len(o.board.Inputs) == 0 {
			<-ctx.Done()
			return nil
		}
		var paths []string
		for deadline := time.Now().Add(deviceWait); ; {
			paths, err = o.board.InputPaths(os.DirFS("/"))
			if err == nil || time.Now().After(deadline) {
				break
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(100 * time.Millisecond):
			}
		}
		if err != nil {
			return err
		}
		log.Info("reading keys", "devices", paths)
		var files []*os.File
		for _, p := range paths {
			f, err := os.Open(p)
			if err != nil {
				log.Warn("input device", "path", p, "err", err)
				continue
			}
			if _, err := input.Grab(f); err != nil {
				log.Warn("input grab", "path", p, "err", err)
			}
			files = append(files, f)
		}
		return readKeys(ctx, files, km, out, power, log)
	}}, nil
}

// readKeys reads every device until ctx ends, closing each, and sends the
// keys to out, except the power key, which calls power.
func readKeys(ctx context.Context, files []*os.File, km input.Keymap, out chan<- key.Key, power func(), log *slog.Logger) error {
	raw := make(chan key.Key, 16)
	var fwd sync.WaitGroup
	fwd.Add(1)
	go func() {
		defer fwd.Done()
		for k := range raw {
			if k == key.Power {
				log.Info("power key: powering off")
				power()
				continue
			}
			select {
			case out <- k:
			case <-ctx.Done():
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, len(files))
	for _, f := range files {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer f.Close()
			errs <- input.Run(ctx, f, km, raw, log)
		}()
	}
	wg.Wait()
	close(raw)
	fwd.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	if err := errors.Join(all...); err != nil {
		return err
	}
	return ctx.Err()
}
