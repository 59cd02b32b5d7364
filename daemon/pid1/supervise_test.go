package pid1

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"mehfooz/clock"
)

// script is a service whose runs are driven by the test: each run reports
// that it started and then returns what the test sends.
type script struct {
	starts chan time.Time
	result chan error
	clk    *clock.Fake
}

func newScript(clk *clock.Fake) *script {
	return &script{starts: make(chan time.Time, 16), result: make(chan error), clk: clk}
}

func (s *script) run(ctx context.Context) error {
	s.starts <- s.clk.Now()
	select {
	case err := <-s.result:
		if err != nil && err.Error() == "panic" {
			panic("boom")
		}
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func waitStart(t *testing.T, s *script) time.Time {
	t.Helper()
	select {
	case at := <-s.starts:
		return at
	case <-time.After(5 * time.Second):
		t.Fatal("service did not start")
	}
	return time.Time{}
}

func TestSupervisorBacksOffExponentiallyAndResets(t *testing.T) {
	before := runtime.NumGoroutine()
	clk := clock.NewFake(time.Unix(0, 0))
	sup := &Supervisor{Log: discard(), Clock: clk, MinBackoff: time.Second, MaxBackoff: 4 * time.Second, Stable: time.Minute}
	svc := newScript(clk)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); sup.Run(ctx, Service{Name: "modem", Run: svc.run}) }()

	var starts []time.Duration
	at := waitStart(t, svc)
	t0 := at
	// Fail five times at once: restarts after 1, 2, 4, 4 (capped), 4 s.
	for i := range 5 {
		svc.result <- errors.New("no modem")
		if !clk.BlockUntil(1, done) {
			t.Fatal("supervisor exited")
		}
		clk.Advance(time.Duration(1<<min(i, 2)) * time.Second)
		at = waitStart(t, svc)
		starts = append(starts, at.Sub(t0))
	}
	want := []time.Duration{1 * time.Second, 3 * time.Second, 7 * time.Second, 11 * time.Second, 15 * time.Second}
	for i := range want {
		if starts[i] != want[i] {
			t.Fatalf("restart times %v, want %v", starts, want)
		}
	}
	// A run that lasted longer than Stable resets the backoff to 1 s.
	clk.Advance(2 * time.Minute)
	svc.result <- errors.New("lost it")
	clk.BlockUntil(1, done)
	clk.Advance(time.Second)
	if got := waitStart(t, svc).Sub(at); got != 2*time.Minute+time.Second {
		t.Fatalf("restart after a stable run came %v after the last start, want 2m1s", got)
	}
	st := sup.Status()
	if len(st) != 1 || st[0].Restarts != 6 || !st[0].Running || st[0].LastError != "lost it" {
		t.Fatalf("status = %+v", st)
	}
	cancel()
	<-done
	if st := sup.Status(); st[0].Running {
		t.Fatal("stopped service still shown running")
	}
	time.Sleep(10 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before {
		t.Fatalf("goroutines: %d before, %d after Run returned", before, after)
	}
}

func TestSupervisorPanicIsAFailureAndNilIsDone(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	sup := &Supervisor{Log: discard(), Clock: clk}
	a, b := newScript(clk), newScript(clk)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sup.Run(context.Background(), Service{Name: "a", Run: a.run}, Service{Name: "b", Run: b.run})
	}()
	waitStart(t, a)
	waitStart(t, b)
	a.result <- errors.New("panic")
	clk.BlockUntil(1, nil)
	clk.Advance(time.Second)
	waitStart(t, a) // restarted after the panic
	a.result <- nil // finished: not restarted
	b.result <- nil
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return once every service finished")
	}
	var aStatus ServiceStatus
	for _, st := range sup.Status() {
		if st.Name == "a" {
			aStatus = st
		}
	}
	if aStatus.Restarts != 1 || !strings.Contains(aStatus.LastError, "service panicked: boom") {
		t.Fatalf("a: %+v", aStatus)
	}
}

func TestSupervisorStopsAllOnCancel(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	sup := &Supervisor{Log: discard(), Clock: clk}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	stopped := 0
	svc := func(ctx context.Context) error {
		<-ctx.Done()
		mu.Lock()
		stopped++
		mu.Unlock()
		return ctx.Err()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		sup.Run(ctx, Service{Name: "x", Run: svc}, Service{Name: "y", Run: svc}, Service{Name: "z", Run: svc})
	}()
	for len(sup.Status()) < 3 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
	if stopped != 3 {
		t.Fatalf("%d services saw the cancel, want 3", stopped)
	}
}

func TestWatchdogKicksOnEveryTick(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	sys := newFakeSys()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); kick(ctx, (*fakeWatchdog)(sys), clk, 10*time.Second, discard()) }()
	for i := 1; i <= 3; i++ {
		clk.BlockUntil(1, nil)
		for sys.keepalives() < i {
			time.Sleep(time.Millisecond)
		}
		clk.Advance(10 * time.Second)
	}
	for sys.keepalives() < 4 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	<-done
}
