package jitter

import "math"

// Time stretching removes or inserts one pitch period of decoded audio
// (WSOLA: waveform-similarity overlap-add), the way NetEq's Accelerate and
// PreemptiveExpand do: find the lag T at which the signal best repeats
// itself, then cross-fade two consecutive periods into one (accelerate) or
// repeat one period with cross-fades at both seams (decelerate). Done only
// where the signal is periodic enough (voiced speech) or quiet (pauses), it
// changes the pace by 2.5-15 ms at a time without an audible seam.
type stretcher struct {
	rate       int // samples per second
	minLag     int // 2.5 ms
	maxLag     int // 15 ms
	decim      int // decimation factor to about 4 kHz for the coarse search
	quietPower float64
	coarse     []float64
	out        []int16
}

const (
	correlationGate     = 0.9   // normal mode: voiced and very periodic
	fastCorrelationGate = 0.5   // fast mode, far above target
	quietDBFS           = -45.0 // below this mean power any cut is inaudible
)

func newStretcher(rate int) *stretcher {
	decim := max(rate/4000, 1)
	s := &stretcher{
		rate:   rate,
		minLag: rate / 400,
		maxLag: rate * 15 / 1000,
		decim:  decim,
	}
	full := math.Pow(10, quietDBFS/10) * 32768 * 32768
	s.quietPower = full
	s.coarse = make([]float64, 3*s.maxLag/decim+4)
	return s
}

// period finds the best pitch lag in x[0:2T] for T in [minLag, maxLag] that
// fits in x, and the normalised correlation of the two periods there.
func (s *stretcher) period(x []int16) (lag int, corr float64) {
	hi := min(s.maxLag, len(x)/2)
	if hi < s.minLag {
		return 0, 0
	}
	// Coarse search on a block-averaged copy at about 4 kHz.
	n := min(2*hi/s.decim, len(s.coarse))
	for i := range n {
		var sum float64
		for _, v := range x[i*s.decim : (i+1)*s.decim] {
			sum += float64(v)
		}
		s.coarse[i] = sum
	}
	best, bestC := 0, math.Inf(-1)
	for l := max(s.minLag/s.decim, 1); 2*l <= n; l++ {
		if c := normCorr(s.coarse[:l], s.coarse[l:2*l]); c > bestC {
			best, bestC = l, c
		}
	}
	if best == 0 {
		return 0, 0
	}
	// Refine at the full rate around the coarse lag.
	lag, corr = 0, math.Inf(-1)
	for l := max(best*s.decim-s.decim, s.minLag); l <= min(best*s.decim+s.decim, hi); l++ {
		if c := normCorr16(x[:l], x[l:2*l]); c > corr {
			lag, corr = l, c
		}
	}
	return lag, corr
}

// quiet reports whether x's mean power is below the quiet threshold.
func (s *stretcher) quiet(x []int16) bool {
	if len(x) == 0 {
		return true
	}
	var p float64
	for _, v := range x {
		p += float64(v) * float64(v)
	}
	return p/float64(len(x)) < s.quietPower
}

// accelerate shortens x by one pitch period if the signal allows it and
// returns the result (valid until the next call) and the samples removed.
func (s *stretcher) accelerate(x []int16, fast bool) ([]int16, int) {
	lag, ok := s.choose(x, fast)
	if !ok {
		return x, 0
	}
	out := append(s.out[:0], x[:lag]...)
	crossfade(out, x[lag:2*lag]) // period 1 fades out while period 2 fades in
	out = append(out, x[2*lag:]...)
	s.out = out
	return out, lag
}

// decelerate lengthens x by one pitch period, likewise: period 1, then a
// cross-fade from period 2 back into period 1, then x from period 2 on. Both
// seams join samples that follow each other in x.
func (s *stretcher) decelerate(x []int16) ([]int16, int) {
	lag, ok := s.choose(x, false)
	if !ok {
		return x, 0
	}
	out := append(s.out[:0], x[:lag]...)
	out = append(out, x[lag:2*lag]...)
	crossfade(out[lag:], x[:lag])
	out = append(out, x[lag:]...)
	s.out = out
	return out, lag
}

// choose picks the lag to cut or repeat, or reports that x is not suitable.
func (s *stretcher) choose(x []int16, fast bool) (int, bool) {
	lag, corr := s.period(x)
	if lag == 0 {
		return 0, false
	}
	// In a pause the longest period that fits is best: fewer operations.
	if long := min(s.maxLag, len(x)/2); s.quiet(x[:2*long]) {
		return long, true
	}
	gate := correlationGate
	if fast {
		gate = fastCorrelationGate
	}
	return lag, corr >= gate
}

// crossfade overwrites a with a linear cross-fade from a to b (same length).
func crossfade(a, b []int16) {
	n := len(a)
	for i := range n {
		w := float64(i+1) / float64(n+1)
		a[i] = int16(math.Round(float64(a[i])*(1-w) + float64(b[i])*w))
	}
}

func normCorr(a, b []float64) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += a[i] * b[i]
		aa += a[i] * a[i]
		bb += b[i] * b[i]
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

func normCorr16(a, b []int16) float64 {
	var ab, aa, bb float64
	for i := range a {
		x, y := float64(a[i]), float64(b[i])
		ab += x * y
		aa += x * x
		bb += y * y
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}
