package quality

import (
	"math"
	"slices"
)

// A call's delay is not constant: the jitter buffer shortens and stretches
// speech by pitch periods to follow the network. Scoring such a signal
// against the reference at one lag would punish inaudible timing changes as
// if they were distortion, so Compare re-aligns the received signal piece by
// piece, as PESQ (ITU-T P.862 §10.4) re-aligns each utterance. For each
// piece the best few lags of the 1 ms envelope correlation near the previous
// piece's lag are candidates; each is judged by its waveform correlation (on
// a copy decimated to 8 kHz, then refined at full rate), and the piece moves
// to a candidate only if that beats the previous lag's waveform correlation
// by a margin. A waveform codec's output correlates sharply at the true lag
// and nowhere else, while a concealed piece correlates poorly everywhere and
// so keeps the lag it had. Quiet pieces keep the previous lag too.
const (
	alignPiece      = 0.4   // seconds per piece
	alignSearch     = 0.060 // seconds either side of the previous lag
	alignQuiet      = 0.05  // pieces below this share of the mean power keep the lag
	alignMargin     = 0.1   // waveform correlation a new lag must gain
	alignCandidates = 5
	alignRate       = 8000 // rate of the decimated copies
)

// alignPiecewise returns deg re-timed to ref and the lag of each piece.
func alignPiecewise(ref, deg []int16, rate, start int) ([]int16, []int) {
	step := max(rate/1000, 1)
	er, ed := envelope(ref, step), envelope(deg, step)
	dec := max(rate/alignRate, 1)
	dr, dd := decimate(ref, dec), decimate(deg, dec)
	pieceLen := int(alignPiece * float64(rate))
	pieceLen -= pieceLen % (step * dec)
	search := int(alignSearch*float64(rate)) / step
	mean := RMS(ref) * RMS(ref)

	// coarseWave is the decimated waveform correlation of a piece at lag.
	coarseWave := func(s, e, lag int) float64 {
		return rangeCorr(dr, dd, s/dec, e/dec, lag/dec)
	}
	out := make([]int16, len(ref))
	var lags []int
	lag := start
	type cand struct {
		lag   int
		score float64
	}
	cands := make([]cand, 0, 2*search+1)
	for s := 0; s < len(ref); s += pieceLen {
		e := min(s+pieceLen, len(ref))
		if r := RMS(ref[s:e]); r*r >= alignQuiet*mean && e-s >= pieceLen/2 {
			cands = cands[:0]
			prev := math.Inf(-1)
			for l := lag/step - search; l <= lag/step+search; l++ {
				sc := rangeScore(er, ed, s/step, e/step, l)
				// keep local maxima of the envelope correlation
				if len(cands) > 0 && cands[len(cands)-1].lag == (l-1)*step && cands[len(cands)-1].score < sc {
					cands = cands[:len(cands)-1]
				}
				if sc > prev {
					cands = append(cands, cand{l * step, sc})
				}
				prev = sc
			}
			slices.SortFunc(cands, func(a, b cand) int {
				switch {
				case a.score > b.score:
					return -1
				case a.score < b.score:
					return 1
				}
				return 0
			})
			bestLag, best := lag, bestNear(coarseWave, s, e, lag, step, dec)
			stay := best
			for _, c := range cands[:min(len(cands), alignCandidates)] {
				l := c.lag
				if w := bestNear(coarseWave, s, e, l, step, dec); w > best {
					bestLag, best = l, w
				}
			}
			if best < stay+alignMargin {
				bestLag = lag
			}
			// Refine at the full rate around the chosen lag.
			fine, fineC := bestLag, math.Inf(-1)
			for l := bestLag - step; l <= bestLag+step; l++ {
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

// bestNear is the best decimated waveform correlation within a millisecond
// of lag.
func bestNear(f func(s, e, lag int) float64, s, e, lag, step, dec int) float64 {
	best := math.Inf(-1)
	for l := lag - step; l <= lag+step; l += dec {
		best = max(best, f(s, e, l))
	}
	return best
}

// decimate block-averages x by k: a crude low-pass that keeps speech's
// strong low band, enough to tell the right lag from a wrong one.
func decimate(x []int16, k int) []float64 {
	out := make([]float64, len(x)/k)
	for i := range out {
		var s float64
		for _, v := range x[i*k : (i+1)*k] {
			s += float64(v)
		}
		out[i] = s / float64(k)
	}
	return out
}

// rangeScore is the normalised correlation of a[from:to] with b shifted by lag.
func rangeScore(a, b []float64, from, to, lag int) float64 {
	return rangeCorr(a, b, from, to, lag)
}

func rangeCorr(a, b []float64, from, to, lag int) float64 {
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
