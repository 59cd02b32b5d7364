package sim

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"mehfooz/clock"
)

// scheduler runs the modem's timed behaviour (the search before
// registering, SIM initialisation, ring cadence, storms, cell churn) on one
// goroutine, in deadline order, against an injected clock, so a test with a
// fake clock decides when the network answers.
type scheduler struct {
	clk  clock.Clock
	wake chan struct{}

	mu     sync.Mutex // guards the fields below
	events eventHeap
	seq    uint64
}

type event struct {
	at    time.Time
	seq   uint64 // breaks ties: events due together run in the order made
	fn    func()
	index int // in the heap; -1 once run or cancelled
}

func newScheduler(clk clock.Clock) *scheduler {
	return &scheduler{clk: clk, wake: make(chan struct{}, 1)}
}

// after runs fn once d has passed. fn runs on the scheduler goroutine and
// takes whatever locks it needs.
func (s *scheduler) after(d time.Duration, fn func()) *event {
	s.mu.Lock()
	e := &event{at: s.clk.Now().Add(d), seq: s.seq, fn: fn}
	s.seq++
	heap.Push(&s.events, e)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return e
}

// cancel stops e if it has not run; a nil e is ignored.
func (s *scheduler) cancel(e *event) {
	if e == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.index >= 0 {
		heap.Remove(&s.events, e.index)
	}
}

// run executes events until ctx is done.
func (s *scheduler) run(ctx context.Context) {
	for {
		s.mu.Lock()
		now := s.clk.Now()
		var due []*event
		for len(s.events) > 0 && !s.events[0].at.After(now) {
			due = append(due, heap.Pop(&s.events).(*event))
		}
		var wait time.Duration = -1
		if len(due) == 0 && len(s.events) > 0 {
			wait = s.events[0].at.Sub(now)
		}
		s.mu.Unlock()
		if len(due) > 0 {
			for _, e := range due {
				if ctx.Err() != nil {
					return
				}
				e.fn()
			}
			continue
		}
		var timer clock.Timer
		var fire <-chan time.Time
		if wait >= 0 {
			timer = s.clk.NewTimer(wait)
			fire = timer.C()
		}
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

type eventHeap []*event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if h[i].at.Equal(h[j].at) {
		return h[i].seq < h[j].seq
	}
	return h[i].at.Before(h[j].at)
}
func (h eventHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *eventHeap) Push(x any) {
	e := x.(*event)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	e.index = -1
	*h = old[:len(old)-1]
	return e
}
