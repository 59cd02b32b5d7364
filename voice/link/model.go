// Package link impairs a datagram path the way a bad cellular bearer does:
// random or bursty loss, queueing delay with jitter, reordering, duplication
// and stalls (the link freezes, then delivers everything at once, as LTE does
// on a handover or an RLC retransmission). A Model decides each datagram's
// fate from a seed, so a failing run can be replayed; a Conn applies a Model
// to the writes of any net.PacketConn, so whole calls can run over an
// impaired path in tests.
package link

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Impairment describes a link. The zero value is a perfect link.
type Impairment struct {
	Loss      float64       // share of datagrams lost, 0-1
	BurstLen  float64       // mean length of a loss burst in datagrams (Gilbert model); <= 1 for independent loss
	Delay     time.Duration // one-way base delay
	Jitter    time.Duration // mean extra queueing delay (exponential); the queue stays in order
	Reorder   float64       // share of datagrams that leave the queue and arrive ReorderBy later
	ReorderBy time.Duration // extra delay of a reordered datagram (default 2 Jitter + 20 ms)
	Duplicate float64       // share of datagrams delivered twice
	DupAfter  time.Duration // delay of the copy after the original (default 1 ms)
	Stall     float64       // chance per datagram that the link freezes
	StallFor  time.Duration // how long a freeze lasts (default 200 ms); the queue delivers at its end
	Seed      uint64
}

// Validate reports whether the shares are probabilities and durations are
// not negative.
func (i Impairment) Validate() error {
	for name, p := range map[string]float64{"loss": i.Loss, "reorder": i.Reorder, "duplicate": i.Duplicate, "stall": i.Stall} {
		if p < 0 || p > 1 || math.IsNaN(p) {
			return fmt.Errorf("link: %s share %v outside 0-1", name, p)
		}
	}
	if i.Delay < 0 || i.Jitter < 0 || i.ReorderBy < 0 || i.DupAfter < 0 || i.StallFor < 0 {
		return fmt.Errorf("link: negative duration in %+v", i)
	}
	return nil
}

func (i Impairment) String() string {
	return fmt.Sprintf("loss %.0f%% (bursts %.1f), delay %v + %v jitter, reorder %.0f%%, duplicate %.0f%%, stall %.1f%% x %v",
		i.Loss*100, max(i.BurstLen, 1), i.Delay, i.Jitter, i.Reorder*100, i.Duplicate*100, i.Stall*100, i.StallFor)
}

// Model decides the fate of each datagram in send order. It is not safe for
// concurrent use.
type Model struct {
	imp      Impairment
	rng      *rand.Rand
	bad      bool          // Gilbert model state: in a loss burst
	queueEnd time.Duration // when the in-order queue next frees up
	stallEnd time.Duration // when the current freeze ends
	pGoodBad float64
	pBadGood float64
}

// NewModel returns a Model of imp; the same Impairment (seed included) gives
// the same fates.
func NewModel(imp Impairment) (*Model, error) {
	if err := imp.Validate(); err != nil {
		return nil, err
	}
	if imp.ReorderBy == 0 {
		imp.ReorderBy = 2*imp.Jitter + 20*time.Millisecond
	}
	if imp.DupAfter == 0 {
		imp.DupAfter = time.Millisecond
	}
	if imp.StallFor == 0 {
		imp.StallFor = 200 * time.Millisecond
	}
	m := &Model{imp: imp, rng: rand.New(rand.NewPCG(imp.Seed, 0x6c696e6b))}
	if imp.BurstLen > 1 && imp.Loss > 0 && imp.Loss < 1 {
		// Two-state Gilbert model: every datagram in the bad state is lost.
		// The stationary share of the bad state is Loss, and a burst lasts
		// 1/pBadGood datagrams on average.
		m.pBadGood = 1 / imp.BurstLen
		m.pGoodBad = imp.Loss * m.pBadGood / (1 - imp.Loss)
	}
	return m, nil
}

// Fate returns the delivery times of a datagram sent at sent (a duration
// since any fixed epoch, non-decreasing from call to call): none if it is
// lost, two if it is duplicated.
func (m *Model) Fate(sent time.Duration) []time.Duration {
	imp := m.imp
	if imp.Stall > 0 && sent >= m.stallEnd && m.rng.Float64() < imp.Stall {
		m.stallEnd = sent + imp.StallFor
	}
	if m.lost() {
		return nil
	}
	at := sent + imp.Delay
	if imp.Jitter > 0 {
		at += time.Duration(m.rng.ExpFloat64() * float64(imp.Jitter))
	}
	if imp.Reorder > 0 && m.rng.Float64() < imp.Reorder {
		// Leaves the queue: arrives late, behind datagrams sent after it.
		at = max(at, m.stallEnd) + imp.ReorderBy
	} else {
		// A FIFO queue: never before the datagram ahead, never during a stall.
		at = max(at, m.queueEnd, m.stallEnd)
		m.queueEnd = at
	}
	if imp.Duplicate > 0 && m.rng.Float64() < imp.Duplicate {
		return []time.Duration{at, at + imp.DupAfter}
	}
	return []time.Duration{at}
}

func (m *Model) lost() bool {
	imp := m.imp
	if m.pBadGood == 0 {
		return imp.Loss > 0 && m.rng.Float64() < imp.Loss
	}
	if m.bad {
		m.bad = m.rng.Float64() >= m.pBadGood
	} else {
		m.bad = m.rng.Float64() < m.pGoodBad
	}
	return m.bad
}
