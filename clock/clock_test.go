package clock

import (
	"testing"
	"time"
)

var epoch = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func TestFakeTimerFiresAtDeadline(t *testing.T) {
	f := NewFake(epoch)
	tm := f.NewTimer(2 * time.Second)
	f.Advance(1999 * time.Millisecond)
	select {
	case <-tm.C():
		t.Fatal("timer fired early")
	default:
	}
	f.Advance(time.Millisecond)
	select {
	case got := <-tm.C():
		if want := epoch.Add(2 * time.Second); !got.Equal(want) {
			t.Fatalf("fired at %v, want %v", got, want)
		}
	default:
		t.Fatal("timer did not fire at its deadline")
	}
	if f.Waiters() != 0 {
		t.Fatalf("fired timer still armed: %d waiters", f.Waiters())
	}
}

func TestFakeTimerStopAndReset(t *testing.T) {
	f := NewFake(epoch)
	tm := f.NewTimer(time.Second)
	if !tm.Stop() {
		t.Fatal("Stop of an armed timer returned false")
	}
	if tm.Stop() {
		t.Fatal("second Stop returned true")
	}
	f.Advance(time.Hour)
	select {
	case <-tm.C():
		t.Fatal("stopped timer fired")
	default:
	}
	if tm.Reset(time.Second) {
		t.Fatal("Reset of a stopped timer returned true")
	}
	f.Advance(time.Second)
	select {
	case <-tm.C():
	default:
		t.Fatal("reset timer did not fire")
	}
}

func TestFakeTickerOrderAndDrops(t *testing.T) {
	f := NewFake(epoch)
	tk := f.NewTicker(10 * time.Millisecond)
	other := f.NewTimer(15 * time.Millisecond)
	f.Advance(10 * time.Millisecond)
	if got := <-tk.C(); !got.Equal(epoch.Add(10 * time.Millisecond)) {
		t.Fatalf("first tick at %v", got)
	}
	// Two more ticks pass without a reader: the channel holds one, the other is dropped.
	f.Advance(20 * time.Millisecond)
	if got := <-other.C(); !got.Equal(epoch.Add(15 * time.Millisecond)) {
		t.Fatalf("timer fired at %v, want +15ms", got)
	}
	if got := <-tk.C(); !got.Equal(epoch.Add(20 * time.Millisecond)) {
		t.Fatalf("buffered tick at %v, want +20ms", got)
	}
	select {
	case got := <-tk.C():
		t.Fatalf("dropped tick delivered: %v", got)
	default:
	}
	tk.Stop()
	f.Advance(time.Second)
	select {
	case <-tk.C():
		t.Fatal("stopped ticker ticked")
	default:
	}
	if !f.Now().Equal(epoch.Add(30*time.Millisecond + time.Second)) {
		t.Fatalf("Now = %v", f.Now())
	}
}

func TestFakeBlockUntil(t *testing.T) {
	f := NewFake(epoch)
	done := make(chan struct{})
	got := make(chan time.Time)
	go func() { got <- <-f.After(time.Minute) }()
	if !f.BlockUntil(1, done) {
		t.Fatal("BlockUntil gave up")
	}
	f.Advance(time.Minute)
	if at := <-got; !at.Equal(epoch.Add(time.Minute)) {
		t.Fatalf("After fired at %v", at)
	}
	close(done)
	if f.BlockUntil(5, done) {
		t.Fatal("BlockUntil returned true with too few waiters")
	}
}

func TestRealClockSatisfiesInterface(t *testing.T) {
	var c Clock = Real{}
	tm := c.NewTimer(time.Hour)
	if !tm.Stop() {
		t.Fatal("Stop of a fresh real timer returned false")
	}
	if c.Since(c.Now()) < 0 {
		t.Fatal("Since went negative")
	}
}
