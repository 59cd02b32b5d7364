package exchange

import (
	"context"
	"time"

	"mehfooz/exchange/wire"
)

// janitorPeriod is how often the janitor sweeps.
const janitorPeriod = time.Second

// janitor sweeps on the exchange's clock: idle connections, sessions that
// could not flush their last frame, unanswered calls, calls a party left,
// the replay cache, and the count of suppressed audit events.
func (x *Exchange) janitor(ctx context.Context) {
	t := x.clk.NewTicker(janitorPeriod)
	defer t.Stop()
	minute := x.clk.Now()
	for {
		select {
		case <-ctx.Done():
			x.shutdown()
			return
		case now := <-t.C():
			x.sweep(now)
			if now.Sub(minute) >= time.Minute {
				minute = now
				x.audit.flushSuppressed()
				x.refreshRevocations()
			}
		}
	}
}

func (x *Exchange) sweep(now time.Time) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for s := range x.live {
		if e := s.ended.Load(); e != 0 {
			if now.Sub(time.Unix(0, e)) >= flushTimeout {
				s.conn.Close()
			}
			continue
		}
		switch {
		case now.Sub(time.Unix(0, s.last.Load())) >= x.cfg.IdleTimeout:
			s.end(wire.CodeIdle, "no frame within the idle timeout")
		case now.After(s.cert.NotAfter):
			x.endCallsOf(s.id, wire.CodePeerGone)
			x.presenceGone(s)
			s.end(wire.CodeExpired, "device certificate expired during the connection")
		}
	}
	for _, c := range x.calls {
		switch {
		case !c.answered && now.Sub(c.created) >= x.cfg.RingTimeout:
			x.endCall(c, wire.CodeTimeout)
		case c.answered && (x.online(c.caller) == nil || x.online(c.callee) == nil):
			if c.gone.IsZero() {
				c.gone = now
			} else if now.Sub(c.gone) >= x.cfg.Grace {
				x.endCall(c, wire.CodeTimeout)
			}
		default:
			c.gone = time.Time{}
		}
	}
	x.seen.prune(now)
	x.flushPresence()
}

// shutdown tells every handset the exchange is stopping.
func (x *Exchange) shutdown() {
	x.mu.Lock()
	defer x.mu.Unlock()
	for s := range x.live {
		s.end(wire.CodeShutdown, "exchange stopping")
	}
}
