package exchange

import (
	"time"

	"mehfooz/exchange/wire"
)

// replayCache remembers the call IDs of invites the exchange forwarded, so a
// recorded invite sent again (by anyone, on any connection) is refused. The
// call layer also checks the signed invite's own time and nonce; this is the
// exchange's cheaper first line. IDs are forgotten after the window.
type replayCache struct {
	window time.Duration
	at     map[wire.CallID]time.Time
	order  []wire.CallID // in insertion order, for pruning
}

func newReplayCache(window time.Duration) *replayCache {
	return &replayCache{window: window, at: map[wire.CallID]time.Time{}}
}

func (r *replayCache) has(id wire.CallID) bool { _, ok := r.at[id]; return ok }

func (r *replayCache) add(id wire.CallID, now time.Time) {
	if _, ok := r.at[id]; ok {
		return
	}
	r.at[id] = now
	r.order = append(r.order, id)
}

// prune forgets IDs older than the window.
func (r *replayCache) prune(now time.Time) {
	n := 0
	for _, id := range r.order {
		if now.Sub(r.at[id]) < r.window {
			break
		}
		delete(r.at, id)
		n++
	}
	r.order = r.order[n:]
	if n > 0 && cap(r.order) > 4*len(r.order)+64 {
		r.order = append([]wire.CallID(nil), r.order...)
	}
}
