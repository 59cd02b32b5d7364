package at

import (
	"slices"
	"testing"
)

func lines(q *queue) []string {
	var out []string
	for {
		u, ok := q.pop()
		if !ok {
			return out
		}
		if u.Storm != nil {
			out = append(out, "storm")
			continue
		}
		out = append(out, u.Line)
	}
}

func TestQueueCoalesceMovesToTail(t *testing.T) {
	q := newQueue(4)
	q.push(URC{Line: "reg 1"}, "+CEREG")
	q.push(URC{Line: "ring"}, "")
	q.push(URC{Line: "reg 2"}, "+CEREG")
	q.push(URC{Line: "csq"}, "+CSQ")
	q.push(URC{Line: "reg 3"}, "+CEREG")
	if got, want := lines(q), []string{"ring", "csq", "reg 3"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if q.coalesced != 2 || q.dropped != 0 {
		t.Fatalf("coalesced %d dropped %d", q.coalesced, q.dropped)
	}
}

func TestQueueOverflowDropsOldestAndAlarms(t *testing.T) {
	q := newQueue(3)
	for _, l := range []string{"a", "b", "c", "d", "e"} {
		q.push(URC{Line: l}, "")
	}
	if got, want := lines(q), []string{"storm", "c", "d", "e"}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if q.peak != 3 || q.dropped != 2 {
		t.Fatalf("peak %d dropped %d", q.peak, q.dropped)
	}
	// The notify channel is drained once the queue is empty, and set again
	// by the next push.
	select {
	case <-q.notify:
		t.Fatal("notify set on an empty queue")
	default:
	}
	q.push(URC{Line: "f"}, "")
	select {
	case <-q.notify:
	default:
		t.Fatal("notify not set after a push")
	}
}
