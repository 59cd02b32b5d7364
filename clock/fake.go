package clock

import (
	"sort"
	"sync"
	"time"
)

// Fake is a Clock that moves only when a test calls Advance or Set. Timers and
// tickers fire, in deadline order, during the Advance that passes their
// deadline. Channels are buffered by one, like time.Timer's, so a firing never
// blocks Advance; a ticker whose reader is slow drops ticks, as time.Ticker does.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*fakeTimer
	// changed is closed and replaced whenever a waiter is added, so
	// BlockUntil can wait for the code under test to arm its timers.
	changed chan struct{}
}

// NewFake returns a Fake clock reading start.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start, changed: make(chan struct{})}
}

// Now implements Clock.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// Since implements Clock.
func (f *Fake) Since(t time.Time) time.Duration { return f.Now().Sub(t) }

// After implements Clock.
func (f *Fake) After(d time.Duration) <-chan time.Time { return f.NewTimer(d).C() }

// NewTimer implements Clock.
func (f *Fake) NewTimer(d time.Duration) Timer { return f.add(d, 0) }

// NewTicker implements Clock. It panics on a non-positive period, as time.NewTicker does.
func (f *Fake) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("clock: non-positive interval for NewTicker")
	}
	return fakeTicker{f.add(d, d)}
}

func (f *Fake) add(d, period time.Duration) *fakeTimer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{clock: f, c: make(chan time.Time, 1), period: period}
	t.when = f.now.Add(d)
	f.arm(t)
	return t
}

// arm registers t; f.mu must be held.
func (f *Fake) arm(t *fakeTimer) {
	t.armed = true
	f.waiters = append(f.waiters, t)
	close(f.changed)
	f.changed = make(chan struct{})
}

// disarm removes t; f.mu must be held. It reports whether t was armed.
func (f *Fake) disarm(t *fakeTimer) bool {
	if !t.armed {
		return false
	}
	t.armed = false
	for i, w := range f.waiters {
		if w == t {
			f.waiters = append(f.waiters[:i], f.waiters[i+1:]...)
			break
		}
	}
	return true
}

// Advance moves the clock forward by d, firing every timer whose deadline is
// reached, in deadline order, with the clock set to each deadline as it fires.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	end := f.now.Add(d)
	f.mu.Unlock()
	f.Set(end)
}

// Set moves the clock to t (never backwards) and fires what is due.
func (f *Fake) Set(end time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		sort.SliceStable(f.waiters, func(i, j int) bool { return f.waiters[i].when.Before(f.waiters[j].when) })
		if len(f.waiters) == 0 || f.waiters[0].when.After(end) {
			break
		}
		t := f.waiters[0]
		if t.when.After(f.now) {
			f.now = t.when
		}
		select {
		case t.c <- f.now:
		default:
		}
		if t.period > 0 {
			t.when = t.when.Add(t.period)
		} else {
			f.disarm(t)
		}
	}
	if end.After(f.now) {
		f.now = end
	}
}

// Waiters reports how many timers and tickers are armed.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

// BlockUntil waits until at least n timers or tickers are armed, or until
// done is closed. It returns false if done closed first. Tests use it to
// advance time only once the code under test is waiting on the clock.
func (f *Fake) BlockUntil(n int, done <-chan struct{}) bool {
	for {
		f.mu.Lock()
		if len(f.waiters) >= n {
			f.mu.Unlock()
			return true
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-done:
			return false
		}
	}
}

type fakeTimer struct {
	clock  *Fake
	c      chan time.Time
	when   time.Time
	period time.Duration
	armed  bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	return t.clock.disarm(t)
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	t.clock.mu.Lock()
	defer t.clock.mu.Unlock()
	was := t.clock.disarm(t)
	if d <= 0 && t.period > 0 {
		panic("clock: non-positive interval for Ticker.Reset")
	}
	if t.period > 0 {
		t.period = d
	}
	t.when = t.clock.now.Add(d)
	t.clock.arm(t)
	return was
}

// fakeTicker adapts a periodic fakeTimer to Ticker, whose methods return nothing.
type fakeTicker struct{ *fakeTimer }

func (t fakeTicker) Reset(d time.Duration) { t.fakeTimer.Reset(d) }
func (t fakeTicker) Stop()                 { t.fakeTimer.Stop() }
