package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"go.bug.st/serial"
)

// ttyLine serves the modem on a tty someone else created, such as the pty
// QEMU makes for "-serial pty" ("char device redirected to /dev/pts/N"):
// the simulator opens the tty's slave side as a device, with the same
// opener the daemon uses, and reopens it after an unplug.
type ttyLine struct {
	path string
	log  *slog.Logger
}

// Next opens the tty, retrying while it cannot be opened (QEMU not yet
// there, or the previous port not yet released).
func (l *ttyLine) Next(ctx context.Context) (io.ReadWriteCloser, string, error) {
	wait := 100 * time.Millisecond
	for {
		p, err := serial.Open(l.path, &serial.Mode{BaudRate: 115200})
		if err == nil {
			return p, l.path, nil
		}
		l.log.Warn("cannot open the tty; retrying", "path", l.path, "err", err, "in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, "", fmt.Errorf("open %s: %w", l.path, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, 2*time.Second)
	}
}

func (l *ttyLine) Close() error { return nil }
