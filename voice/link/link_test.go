package link

import (
	"math"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"mehfooz/clock"
)

const ms = time.Millisecond

func fates(t *testing.T, imp Impairment, n int, every time.Duration) [][]time.Duration {
	t.Helper()
	m, err := NewModel(imp)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]time.Duration, n)
	for i := range out {
		out[i] = m.Fate(time.Duration(i) * every)
	}
	return out
}

func TestModelPerfectLink(t *testing.T) {
	for i, f := range fates(t, Impairment{Delay: 30 * ms}, 100, 20*ms) {
		if len(f) != 1 || f[0] != time.Duration(i)*20*ms+30*ms {
			t.Fatalf("datagram %d: %v", i, f)
		}
	}
}

func TestModelShares(t *testing.T) {
	const n = 100000
	imp := Impairment{Loss: 0.1, Duplicate: 0.05, Reorder: 0.02, Jitter: 5 * ms, Seed: 9}
	lost, dup, late := 0, 0, 0
	var last time.Duration
	for _, f := range fates(t, imp, n, 20*ms) {
		switch len(f) {
		case 0:
			lost++
			continue
		case 2:
			dup++
		}
		if f[0] < last {
			late++ // delivered behind a datagram sent after it
		}
		last = max(last, f[0])
	}
	check := func(name string, got int, want float64) {
		if share := float64(got) / n; math.Abs(share-want) > 0.1*want+0.002 {
			t.Errorf("%s share %.4f, want %.4f", name, share, want)
		}
	}
	check("loss", lost, 0.1)
	check("duplicate", dup, 0.05*0.9)
	check("reordered", late, 0.02*0.9)
}

func TestModelBurstLoss(t *testing.T) {
	const n = 200000
	lost, bursts, run := 0, 0, 0
	for _, f := range fates(t, Impairment{Loss: 0.1, BurstLen: 4, Seed: 1}, n, 20*ms) {
		if len(f) == 0 {
			lost++
			if run == 0 {
				bursts++
			}
			run++
		} else {
			run = 0
		}
	}
	if share := float64(lost) / n; math.Abs(share-0.1) > 0.01 {
		t.Fatalf("loss share %.3f, want 0.1", share)
	}
	if mean := float64(lost) / float64(bursts); math.Abs(mean-4) > 0.3 {
		t.Fatalf("mean burst %.2f datagrams, want 4", mean)
	}
}

func TestModelQueueKeepsOrderAndStallsDeliverInABurst(t *testing.T) {
	imp := Impairment{Jitter: 10 * ms, Delay: 20 * ms, Stall: 0.01, StallFor: 300 * ms, Seed: 4}
	fs := fates(t, imp, 5000, 20*ms)
	var last time.Duration
	burst := 0
	for i, f := range fs {
		if f[0] < last {
			t.Fatalf("datagram %d delivered at %v, before %v: queue reordered", i, f[0], last)
		}
		if f[0] == last {
			burst++
		}
		last = f[0]
	}
	if burst < 100 {
		t.Fatalf("only %d datagrams delivered together: stalls did not queue", burst)
	}
	if !slices.EqualFunc(fs, fates(t, imp, 5000, 20*ms), slices.Equal) {
		t.Fatal("same seed, different fates")
	}
}

func TestImpairmentValidate(t *testing.T) {
	for _, imp := range []Impairment{{Loss: 1.5}, {Reorder: -0.1}, {Delay: -ms}, {Duplicate: math.NaN()}} {
		if _, err := NewModel(imp); err == nil {
			t.Errorf("accepted %+v", imp)
		}
	}
}

// recorder is the wrapped conn of a fake-clock test: it logs each write
// with the clock's time.
type recorder struct {
	net.PacketConn // nil: only WriteTo and Close are used
	clk            clock.Clock
	mu             sync.Mutex
	at             []time.Time
	data           []byte // first byte of each datagram
	wrote          chan struct{}
}

func (r *recorder) WriteTo(p []byte, _ net.Addr) (int, error) {
	r.mu.Lock()
	r.at = append(r.at, r.clk.Now())
	r.data = append(r.data, p[0])
	r.mu.Unlock()
	r.wrote <- struct{}{}
	return len(p), nil
}

func (r *recorder) Close() error { return nil }

// TestConnDeliversOnTheModelsSchedule writes datagrams through a Conn on a
// fake clock and checks each reaches the wrapped conn exactly when a twin
// model with the same seed says it should.
func TestConnDeliversOnTheModelsSchedule(t *testing.T) {
	checkGoroutines(t)
	epoch := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	clk := clock.NewFake(epoch)
	rec := &recorder{clk: clk, wrote: make(chan struct{}, 1000)}
	imp := Impairment{Loss: 0.2, Duplicate: 0.2, Reorder: 0.1, Delay: 15 * ms, Jitter: 10 * ms, Seed: 77}
	c, err := New(rec, imp, clk)
	if err != nil {
		t.Fatal(err)
	}
	twin, _ := NewModel(imp)
	type want struct {
		at time.Duration
		id byte
	}
	var wants []want
	for i := range 100 {
		for _, at := range twin.Fate(time.Duration(i) * 20 * ms) {
			wants = append(wants, want{at, byte(i)})
		}
		c.WriteTo([]byte{byte(i)}, nil)
		clk.Advance(20 * ms)
	}
	slices.SortStableFunc(wants, func(a, b want) int { return int(a.at - b.at) })
	clk.Advance(time.Second) // everything is due
	for range wants {
		select {
		case <-rec.wrote:
		case <-time.After(5 * time.Second):
			t.Fatalf("%d of %d datagrams delivered", len(rec.at), len(wants))
		}
	}
	c.Close()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	// The clock jumped while datagrams waited, so compare order and that
	// none was early.
	for i, w := range wants {
		if rec.data[i] != w.id {
			t.Fatalf("delivery %d was datagram %d, want %d", i, rec.data[i], w.id)
		}
		if rec.at[i].Before(epoch.Add(w.at)) {
			t.Fatalf("datagram %d delivered at %v, before %v", w.id, rec.at[i].Sub(epoch), w.at)
		}
	}
	st := c.Stats()
	if st.Sent != 100 || st.Delivered != uint64(len(wants)) || st.Sent-st.Lost+st.Duplicated != st.Delivered {
		t.Fatalf("stats %+v for %d deliveries", st, len(wants))
	}
}

// TestConnOverUDP impairs a real UDP path on the real clock.
func TestConnOverUDP(t *testing.T) {
	checkGoroutines(t)
	a, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c, err := New(a, Impairment{Loss: 0.3, Duplicate: 0.1, Delay: 2 * ms, Jitter: ms, Seed: 5}, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	start := time.Now()
	for i := range n {
		if _, err := c.WriteTo([]byte{byte(i), byte(i >> 8)}, b.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int]int{}
	buf := make([]byte, 16)
	b.SetReadDeadline(time.Now().Add(5 * time.Second))
	// The model's fate of every datagram is known once WriteTo returns.
	st := c.Stats()
	want := int(st.Sent - st.Lost + st.Duplicated)
	for total(seen) < want {
		k, _, err := b.ReadFrom(buf)
		if err != nil {
			t.Fatalf("after %d datagrams: %v (stats %+v)", total(seen), err, c.Stats())
		}
		if k != 2 {
			t.Fatalf("datagram of %d bytes", k)
		}
		seen[int(buf[0])|int(buf[1])<<8]++
	}
	if took := time.Since(start); took < 2*ms {
		t.Fatalf("delivered in %v, before the 2 ms delay", took)
	}
	if lost := n - len(seen); uint64(lost) != st.Lost || lost < n/5 || lost > n*2/5 {
		t.Fatalf("%d of %d never arrived, model lost %d", lost, n, st.Lost)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WriteTo([]byte{1}, b.LocalAddr()); err == nil {
		t.Fatal("WriteTo after Close succeeded")
	}
}

func total(m map[int]int) int {
	s := 0
	for _, v := range m {
		s += v
	}
	return s
}
