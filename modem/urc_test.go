package modem

import (
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/modem/at"
)

// A deactivation that arrives while no context is up (the set-up's own
// AT+CFUN=4 detaching an early attach) must not delay the first activation;
// one that arrives while the context is up takes it down and schedules the
// retry.
func TestCGEVOnlyCountsWhileUp(t *testing.T) {
	clk := clock.NewFake(t0)
	var events []Event
	m, err := New(Config{
		Open:    func(context.Context) (io.ReadWriteCloser, error) { return nil, errors.New("unused") },
		Clock:   clk,
		OnEvent: func(e Event) { events = append(events, e) },
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &session{m: m, dataCID: 1, dataWait: backoff{base: 10 * time.Second, max: time.Minute}}
	for _, l := range []string{"+CGEV: ME PDN DEACT 1", "+CGEV: ME DETACH"} {
		if err := s.urc(context.Background(), at.URC{Name: "+CGEV", Line: l, At: clk.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if !s.dataNext.IsZero() || len(events) != 0 {
		t.Fatalf("set-up events delayed data to %v, events %v", s.dataNext, events)
	}
	s.dataUp, s.dataSince = true, clk.Now()
	clk.Advance(time.Minute)
	old := at.URC{Name: "+CGEV", Line: "+CGEV: NW PDN DEACT 1", At: t0.Add(-time.Second)}
	if err := s.urc(context.Background(), old); err != nil || !s.dataUp {
		t.Fatalf("a deactivation queued before the activation took data down: %v", err)
	}
	if err := s.urc(context.Background(), at.URC{Name: "+CGEV", Line: "+CGEV: NW PDN DEACT 1", At: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	if s.dataUp || !s.dataNext.Equal(clk.Now().Add(10*time.Second)) {
		t.Fatalf("dataUp %v, retry at %v", s.dataUp, s.dataNext)
	}
	if d, ok := events[len(events)-1].(DataChanged); !ok || d.Up || d.Reason != "nw pdn deact" {
		t.Fatalf("events %+v", events)
	}
}
