package state

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"mehfooz/clock"
)

func TestHubNewSubscriberGetsCurrentFirst(t *testing.T) {
	h := NewHub(clock.NewFake(time.Unix(0, 0)), Snapshot{Board: "sim"})
	h.Update(func(s *Snapshot) { s.Modem.Phase = ModemDataUp })
	ch, cancel := h.Subscribe()
	defer cancel()
	got := <-ch
	if got.Modem.Phase != ModemDataUp || got.Seq != 1 || got.Board != "sim" {
		t.Fatalf("first snapshot = %+v, want the current one (seq 1, data-up)", got)
	}
}

func TestHubSlowSubscriberSeesNewest(t *testing.T) {
	h := NewHub(clock.NewFake(time.Unix(0, 0)), Snapshot{})
	ch, cancel := h.Subscribe()
	defer cancel()
	for i := 0; i < 100; i++ {
		h.Update(func(s *Snapshot) { s.Modem.Bars = i % 6 })
	}
	got := <-ch
	if got.Seq != 100 {
		t.Fatalf("lagging reader got seq %d, want the newest (100)", got.Seq)
	}
	select {
	case s := <-ch:
		t.Fatalf("stale snapshot queued: seq %d", s.Seq)
	default:
	}
}

func TestHubSnapshotsAreIsolated(t *testing.T) {
	h := NewHub(clock.NewFake(time.Unix(0, 0)), Snapshot{Contacts: []Contact{{ID: "a", Name: "A"}}})
	ch, cancel := h.Subscribe()
	defer cancel()
	s := <-ch
	s.Contacts[0].Name = "changed by reader"
	if h.Current().Contacts[0].Name != "A" {
		t.Fatal("a reader's change leaked into the hub")
	}
}

func TestHubCancelClosesAndIsIdempotent(t *testing.T) {
	h := NewHub(clock.NewFake(time.Unix(0, 0)), Snapshot{})
	ch, cancel := h.Subscribe()
	<-ch
	cancel()
	cancel()
	if _, ok := <-ch; ok {
		t.Fatal("channel still open after cancel")
	}
	h.Update(func(*Snapshot) {}) // must not panic on a closed subscriber
}

func TestHubConcurrentUpdatesAndSubscribers(t *testing.T) {
	h := NewHub(clock.Real{}, Snapshot{})
	var wg sync.WaitGroup
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ch, cancel := h.Subscribe()
			defer cancel()
			last := uint64(0)
			for s := range ch {
				if s.Seq < last {
					t.Errorf("seq went backwards: %d after %d", s.Seq, last)
				}
				last = s.Seq
				if last >= 500 {
					return
				}
			}
		}()
	}
	for i := 0; i < 500; i++ {
		h.Update(func(s *Snapshot) { s.Link.Directory++ })
	}
	wg.Wait()
}

func TestSnapshotJSONUsesStableStrings(t *testing.T) {
	b, err := json.Marshal(Snapshot{Call: Call{Phase: CallConnected, SASVerdict: SASMatch}, Modem: Modem{Phase: ModemDataUp, SIM: SIMReady}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if got := m["call"].(map[string]any)["phase"]; got != "connected" {
		t.Fatalf("call.phase on the wire = %v, want \"connected\"", got)
	}
	if got := m["modem"].(map[string]any)["sim"]; got != "ready" {
		t.Fatalf("modem.sim on the wire = %v, want \"ready\"", got)
	}
}

func TestIntentWipeZeroizesPIN(t *testing.T) {
	pin := []byte("123456")
	i := Intent{Kind: IntentUnlock, PIN: pin}
	i.Wipe()
	for _, b := range pin {
		if b != 0 {
			t.Fatalf("PIN bytes survive Wipe: %q", pin)
		}
	}
	if i.PIN != nil {
		t.Fatal("PIN slice kept after Wipe")
	}
}
