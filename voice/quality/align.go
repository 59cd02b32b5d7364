package quality

import (
	"math"
	"slices"
)

// A call's delay is not constant: the jitter buffer shortens and stretches
// speech by pitch periods to follow the network. Scoring such a signal
// against the reference at one lag would punish inaudible timing changes as
// if they were distortion, so Compare re-aligns the received signal piece by
// piece, as PESQ (ITU-T P.862 §10.4) re-aligns each utterance: the lag of each
// piece is searched near the previous piece's, on the 1 ms envelopes and then
// on the waveform; quiet pieces keep the previous lag.
const (
	alignPiece  = 0.4   // seconds per piece
	alignSearch = 0.060 // seconds either side of the previous lag
	alignQuiet  = 0.05  // pieces below this share of the mean power keep the lag
)

// alignPiecewise returns deg re-timed to ref and the lag of each piece.
func alignPiecewise(ref, deg []int16, rate, start int) ([]int16, []int) {
	step := max(rate/1000, 1)
	er, ed := envelope(ref, step), envelope(deg, step)
	piece := int(alignPiece * float64(rate))
	piece -= piece % step
	search := int(alignSearch*float64(rate)) / step
	mean := RMS(ref) * RMS(ref)

	out := make([]int16, len(ref))
	var lags []int
	lag := start
	for s := 0; s < len(ref); s += piece {
		e := min(s+piece, len(ref))
		if r := RMS(ref[s:e]); r*r >= alignQuiet*mean && e-s >= piece/2 {
			best, bestScore := lag/step, math.Inf(-1)
			for l := lag/step - search; l <= lag/step+search; l++ {
				if sc := rangeScore(er, ed, s/step, e/step, l); sc > bestScore {
					best, bestScore = l, sc
				}
			}
			coarse := best * step
			fine, fineC := coarse, math.Inf(-1)
			for l := coarse - step; l <= coarse+step; l++ {
				if c := rangeWave(ref, deg, s, e, l); c > fineC {
					fine, fineC = l, c
				}
			}
			lag = fine
			lags = append(lags, lag)
		}
		for i := s; i < e; i++ {
			if j := i + lag; j >= 0 && j < len(deg) {
				out[i] = deg[j]
			}
		}
	}
	return out, lags
}

// rangeScore is the normalised correlation of a[from:to] with b shifted by lag.
func rangeScore(a, b []float64, from, to, lag int) float64 {
	var sab, saa, sbb float64
	for i := max(from, -lag); i < to && i < len(a) && i+lag < len(b); i++ {
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

// rangeWave is the normalised waveform correlation of ref[from:to] with deg
// shifted by lag.
func rangeWave(ref, deg []int16, from, to, lag int) float64 {
	var sab, saa, sbb float64
	for i := max(from, -lag); i < to && i+lag < len(deg); i++ {
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

func median(v []int) int {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}
