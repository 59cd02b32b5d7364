package exchange

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"mehfooz/clock"
	"mehfooz/exchange/store"
)

// Audit event kinds.
const (
	EventRefused       = "refused"        // a connection, frame or request refused, with its code
	EventEnrolled      = "enrolled"       // a technician enrolled a device certificate
	EventDirectory     = "directory"      // a directory version was published
	EventRevocations   = "revocations"    // a revocation list version was published
	EventRevoked       = "revoked"        // a connected device was cut off by a revocation
	EventSelfRevoked   = "self-revoked"   // a handset revoked itself (duress, too many PINs)
	EventWipeQueued    = "wipe-queued"    // a technician queued a wipe order
	EventWipeDelivered = "wipe-delivered" // the order reached the handset
	EventWipeAcked     = "wipe-acked"     // the handset confirmed it is wiping
	EventSuppressed    = "suppressed"     // refusals not written one by one (flood)
)

// auditor writes security events to the store from one goroutine, so a
// refusal on the routing path never waits for an fsync. Refusals of
// unauthenticated peers are rate-limited: a flood of bad handshakes must not
// turn into a flood of disk writes; what is dropped is counted and written
// as one "suppressed" event.
type auditor struct {
	store *store.Store
	clk   clock.Clock
	log   *slog.Logger
	ch    chan store.Event

	mu         sync.Mutex
	bucket     *bucket
	suppressed int
}

func newAuditor(s *store.Store, clk clock.Clock, log *slog.Logger, rate float64) *auditor {
	return &auditor{store: s, clk: clk, log: log, ch: make(chan store.Event, 1024), bucket: newBucket(rate, int(rate)*2, clk.Now())}
}

// record queues e; Time is set here.
func (a *auditor) record(e store.Event) {
	e.Time = a.clk.Now()
	a.log.Info("audit", "kind", e.Kind, "device", e.Device, "actor", e.Actor, "code", e.Code, "reason", e.Reason, "remote", e.Remote)
	select {
	case a.ch <- e:
	default:
		a.mu.Lock()
		a.suppressed++
		a.mu.Unlock()
	}
}

// refused records a refusal, subject to the flood limit.
func (a *auditor) refused(device, code, reason, remote string) {
	a.mu.Lock()
	ok := a.bucket.take(a.clk.Now())
	if !ok {
		a.suppressed++
	}
	a.mu.Unlock()
	if !ok {
		a.log.Debug("audit suppressed", "device", device, "code", code, "remote", remote)
		return
	}
	a.record(store.Event{Kind: EventRefused, Device: device, Code: code, Reason: reason, Remote: remote})
}

// flushSuppressed writes one event counting the refusals dropped so far.
func (a *auditor) flushSuppressed() {
	a.mu.Lock()
	n := a.suppressed
	a.suppressed = 0
	a.mu.Unlock()
	if n > 0 {
		a.record(store.Event{Kind: EventSuppressed, Reason: fmt.Sprintf("%d further refusals not logged one by one", n)})
	}
}

// run writes queued events until ctx ends, then writes what is queued.
func (a *auditor) run(ctx context.Context) {
	write := func(e store.Event) {
		if _, err := a.store.Audit(e); err != nil {
			a.log.Error("audit write failed", "kind", e.Kind, "err", err)
		}
	}
	for {
		select {
		case e := <-a.ch:
			write(e)
		case <-ctx.Done():
			a.flushSuppressed()
			for {
				select {
				case e := <-a.ch:
					write(e)
				default:
					return
				}
			}
		}
	}
}
