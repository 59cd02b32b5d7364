package state

import (
	"slices"
	"sync"

	"mehfooz/clock"
)

// Hub holds the current Snapshot and fans every change out to subscribers.
// A new subscriber receives the current Snapshot first; a slow subscriber is
// never waited for and sees only the newest Snapshot when it reads again, so
// one stuck client cannot stall the daemon.
type Hub struct {
	clock clock.Clock

	mu   sync.Mutex
	cur  Snapshot
	subs map[chan Snapshot]struct{}
}

// NewHub returns a Hub whose current Snapshot is initial.
func NewHub(c clock.Clock, initial Snapshot) *Hub {
	initial.At = c.Now()
	return &Hub{clock: c, cur: initial.Clone(), subs: make(map[chan Snapshot]struct{})}
}

// Current returns a copy of the current Snapshot.
func (h *Hub) Current() Snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cur.Clone()
}

// Update applies f to the current Snapshot, stamps it, and publishes it.
func (h *Hub) Update(f func(*Snapshot)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f(&h.cur)
	h.cur.Seq++
	h.cur.At = h.clock.Now()
	for ch := range h.subs {
		offer(ch, h.cur.Clone())
	}
}

// Subscribe returns a channel that yields the current Snapshot and then every
// later one (coalesced to the newest when the reader lags), and a cancel
// function that closes the channel. Calling cancel twice is harmless.
func (h *Hub) Subscribe() (<-chan Snapshot, func()) {
	ch := make(chan Snapshot, 1)
	h.mu.Lock()
	h.subs[ch] = struct{}{}
	ch <- h.cur.Clone()
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.subs, ch)
			close(ch)
			h.mu.Unlock()
		})
	}
}

// offer replaces whatever ch holds with s. Only the Hub sends on ch, under
// h.mu, so after draining there is always room.
func offer(ch chan Snapshot, s Snapshot) {
	select {
	case <-ch:
	default:
	}
	ch <- s
}

// Clone returns a deep copy, so a published Snapshot never changes under its reader.
func (s Snapshot) Clone() Snapshot {
	s.Contacts = slices.Clone(s.Contacts)
	s.Alerts = slices.Clone(s.Alerts)
	if s.Battery != nil {
		b := *s.Battery
		s.Battery = &b
	}
	return s
}
