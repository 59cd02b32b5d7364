package pid1

import (
	"context"
	"log/slog"
	"time"

	"mehfooz/clock"
)

// Watchdog is an open hardware watchdog.
type Watchdog interface {
	Keepalive() error
	Close() error
}

// kick keeps wd alive every interval until ctx ends. It runs in its own
// goroutine, so a process that stops scheduling goroutines (a deadlock in
// the runtime, a hang in the kernel) stops kicking and the board resets.
func kick(ctx context.Context, wd Watchdog, clk clock.Clock, interval time.Duration, log *slog.Logger) {
	t := clk.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		if err := wd.Keepalive(); err != nil && !failing {
			log.Error("watchdog keepalive failed", "err", err)
			failing = true
		} else if err == nil {
			failing = false
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}
