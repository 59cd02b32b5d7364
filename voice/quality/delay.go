package quality

import "math"

// Delay estimates by how many samples deg lags ref, searching lags in
// [-maxLag, maxLag]. It works in two passes so that it stays fast on long
// signals and works for any codec, vocoders included: a cross-correlation of
// 1 ms log-energy envelopes finds the lag to the millisecond, then a
// waveform cross-correlation within one millisecond of it refines the lag to
// the sample. corr is the normalised waveform correlation at that lag (near
// 1 for a clean waveform codec, lower after concealment or for a vocoder).
func Delay(ref, deg []int16, rate, maxLag int) (lag int, corr float64) {
	step := max(rate/1000, 1)
	er, ed := envelope(ref, step), envelope(deg, step)
	maxStep := maxLag / step
	best, bestScore := 0, math.Inf(-1)
	for l := -maxStep; l <= maxStep; l++ {
		if s := lagScore(er, ed, l); s > bestScore {
			best, bestScore = l, s
		}
	}
	coarse := best * step
	lag, corr = coarse, math.Inf(-1)
	for l := max(coarse-step, -maxLag); l <= min(coarse+step, maxLag); l++ {
		if c := waveCorrelation(ref, deg, l); c > corr {
			lag, corr = l, c
		}
	}
	return lag, corr
}

// envelope returns the zero-mean log energy of consecutive step-sample frames.
func envelope(x []int16, step int) []float64 {
	e := make([]float64, len(x)/step)
	var mean float64
	for i := range e {
		var s float64
		for _, v := range x[i*step : (i+1)*step] {
			f := float64(v) / 32768
			s += f * f
		}
		e[i] = math.Log10(s/float64(step) + 1e-8)
		mean += e[i]
	}
	if len(e) > 0 {
		mean /= float64(len(e))
	}
	for i := range e {
		e[i] -= mean
	}
	return e
}

// lagScore is the normalised correlation of a[i] with b[i+lag] over their overlap.
func lagScore(a, b []float64, lag int) float64 {
	var sab, saa, sbb float64
	for i := max(0, -lag); i < len(a) && i+lag < len(b); i++ {
		x, y := a[i], b[i+lag]
		sab += x * y
		saa += x * x
		sbb += y * y
	}
	if saa == 0 || sbb == 0 {
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}

// waveCorrelation is the normalised correlation of ref[i] with deg[i+lag].
func waveCorrelation(ref, deg []int16, lag int) float64 {
	var sab, saa, sbb float64
	for i := max(0, -lag); i < len(ref) && i+lag < len(deg); i++ {
		x, y := float64(ref[i]), float64(deg[i+lag])
		sab += x * y
		saa += x * x
		sbb += y * y
	}
	if saa == 0 || sbb == 0 {
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}
