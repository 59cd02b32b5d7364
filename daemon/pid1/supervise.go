package pid1

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"mehfooz/clock"
)

// Service is one supervised subsystem. Run works until ctx ends and
// returns ctx.Err(), or returns early: nil means "done, do not restart";
// an error (or a panic) means "failed, restart after a backoff".
type Service struct {
	Name string
	Run  func(ctx context.Context) error
}

// Restart backoff: 1 s doubling to 1 min; a run that lasted Stable resets it.
const (
	defaultMinBackoff = time.Second
	defaultMaxBackoff = time.Minute
	defaultStable     = time.Minute
)

// Supervisor runs services, restarting each that fails with an exponential
// backoff, so a crashing subsystem neither spins the CPU nor takes the
// others down. A panic in a service is recovered and counted as a failure:
// in process 1 an unrecovered panic would panic the kernel.
type Supervisor struct {
	Log   *slog.Logger
	Clock clock.Clock
	// Zero values take the defaults above.
	MinBackoff, MaxBackoff, Stable time.Duration

	mu     sync.Mutex
	status map[string]*ServiceStatus
}

// ServiceStatus is a service's state for status displays.
type ServiceStatus struct {
	Name      string
	Running   bool
	Restarts  int
	LastError string
	Since     time.Time // when it last started or stopped
}

// Run runs every service until ctx ends, then waits for all of them to
// return. It returns when the last one has.
func (s *Supervisor) Run(ctx context.Context, services ...Service) {
	var wg sync.WaitGroup
	for _, svc := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.supervise(ctx, svc)
		}()
	}
	wg.Wait()
}

// Status returns every service's state, sorted by name.
func (s *Supervisor) Status() []ServiceStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ServiceStatus
	for _, st := range s.status {
		out = append(out, *st)
	}
	slices.SortFunc(out, func(a, b ServiceStatus) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out
}

func (s *Supervisor) supervise(ctx context.Context, svc Service) {
	minB, maxB, stable := or(s.MinBackoff, defaultMinBackoff), or(s.MaxBackoff, defaultMaxBackoff), or(s.Stable, defaultStable)
	backoff := minB
	for attempt := 1; ; attempt++ {
		start := s.Clock.Now()
		s.update(svc.Name, func(st *ServiceStatus) { st.Running, st.Since = true, start })
		s.Log.Info("service starting", "service", svc.Name, "attempt", attempt)
		err := runSafely(ctx, svc)
		ran := s.Clock.Since(start)
		s.update(svc.Name, func(st *ServiceStatus) {
			st.Running, st.Since = false, s.Clock.Now()
			if err != nil && ctx.Err() == nil {
				st.LastError = err.Error()
			}
		})
		if ctx.Err() != nil {
			s.Log.Info("service stopped", "service", svc.Name)
			return
		}
		if err == nil {
			s.Log.Info("service finished", "service", svc.Name, "ran", ran)
			return
		}
		if ran >= stable {
			backoff = minB
		}
		s.Log.Error("service failed", "service", svc.Name, "err", err, "ran", ran, "restart_in", backoff)
		t := s.Clock.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		s.update(svc.Name, func(st *ServiceStatus) { st.Restarts++ })
		backoff = min(2*backoff, maxB)
	}
}

func (s *Supervisor) update(name string, f func(*ServiceStatus)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status == nil {
		s.status = map[string]*ServiceStatus{}
	}
	st, ok := s.status[name]
	if !ok {
		st = &ServiceStatus{Name: name}
		s.status[name] = st
	}
	f(st)
}

// ErrPanic wraps a recovered panic of a service.
var ErrPanic = errors.New("service panicked")

func runSafely(ctx context.Context, svc Service) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v\n%s", ErrPanic, p, debug.Stack())
		}
	}()
	return svc.Run(ctx)
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
