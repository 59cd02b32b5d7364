package quality

import (
	"errors"
	"fmt"
	"math"
)

// STOI parameters, after Taal et al., "An Algorithm for Intelligibility
// Prediction of Time-Frequency Weighted Noisy Speech", IEEE TASLP 19(7), 2011.
const (
	stoiFrame     = 0.0256 // seconds per analysis frame (256 samples at 10 kHz)
	stoiBands     = 15     // one-third octave bands
	stoiLowCenter = 150.0  // Hz, centre of the lowest band
	stoiSegment   = 30     // frames per intermediate intelligibility segment (384 ms)
	stoiBeta      = -15.0  // dB, lower signal-to-distortion bound of the clipping step
	stoiRange     = 40.0   // dB, frames this far below the loudest reference frame are silent
)

// ErrTooShort is returned when the signals hold too little speech to score.
var ErrTooShort = errors.New("quality: too little speech to score")

// STOI scores the intelligibility of deg against the clean reference ref,
// both mono at the same rate and already time-aligned (see Delay). The result
// lies in [-1, 1]; identical signals score 1, unrelated noise scores near 0.4
// on speech.
//
// It follows the published algorithm (Hann-windowed 25.6 ms frames at 50 %
// overlap, 15 one-third octave bands from 150 Hz, 384 ms segments, energy
// normalisation and clipping at -15 dB, silent-frame removal at 40 dB) but
// analyses at the signal's own rate instead of resampling to 10 kHz, and drops
// silent frames instead of resynthesising the signal, so its values are close
// to, not equal to, the reference implementation's.
func STOI(ref, deg []int16, rate int) (float64, error) {
	if rate < 8000 {
		return 0, fmt.Errorf("quality: stoi: rate %d Hz below 8 kHz", rate)
	}
	n := min(len(ref), len(deg))
	win := int(math.Round(stoiFrame * float64(rate)))
	hop := win / 2
	nfft := 1
	for nfft < win {
		nfft <<= 1
	}
	bins := bandBins(rate, nfft)
	tr := newFFT(nfft, win)

	var refBands, degBands [][stoiBands]float64
	var energy []float64
	xr := make([]float64, win)
	xd := make([]float64, win)
	for start := 0; start+win <= n; start += hop {
		var e float64
		for i := range win {
			xr[i] = float64(ref[start+i]) / 32768
			xd[i] = float64(deg[start+i]) / 32768
			w := tr.window[i] * xr[i]
			e += w * w
		}
		energy = append(energy, 10*math.Log10(e+1e-20))
		pr, pd := tr.powerSpectra(xr, xd)
		refBands = append(refBands, bandAmplitudes(pr, bins))
		degBands = append(degBands, bandAmplitudes(pd, bins))
	}

	// Drop frames more than stoiRange below the loudest reference frame.
	peak := math.Inf(-1)
	for _, e := range energy {
		peak = max(peak, e)
	}
	kept := 0
	for m, e := range energy {
		if e >= peak-stoiRange {
			refBands[kept], degBands[kept] = refBands[m], degBands[m]
			kept++
		}
	}
	if kept < stoiSegment {
		return 0, fmt.Errorf("%w: %d speech frames, need %d", ErrTooShort, kept, stoiSegment)
	}

	clip := 1 + math.Pow(10, -stoiBeta/20)
	var x, y [stoiSegment]float64
	var sum float64
	var count int
	for end := stoiSegment; end <= kept; end++ {
		for j := range stoiBands {
			var ex, ey float64
			for i := range stoiSegment {
				x[i] = refBands[end-stoiSegment+i][j]
				y[i] = degBands[end-stoiSegment+i][j]
				ex += x[i] * x[i]
				ey += y[i] * y[i]
			}
			alpha := 0.0
			if ey > 0 {
				alpha = math.Sqrt(ex / ey)
			}
			for i := range y {
				y[i] = min(alpha*y[i], clip*x[i])
			}
			sum += correlation(x[:], y[:])
			count++
		}
	}
	return sum / float64(count), nil
}

// bandBins returns, per one-third octave band, the half-open range of FFT
// bins whose centre frequency falls inside the band.
func bandBins(rate, nfft int) [stoiBands][2]int {
	var b [stoiBands][2]int
	binHz := float64(rate) / float64(nfft)
	for j := range stoiBands {
		cf := stoiLowCenter * math.Pow(2, float64(j)/3)
		lo := int(math.Ceil(cf * math.Pow(2, -1.0/6) / binHz))
		hi := int(math.Ceil(cf * math.Pow(2, 1.0/6) / binHz))
		hi = min(hi, nfft/2+1)
		b[j] = [2]int{lo, max(hi, lo+1)}
	}
	return b
}

func bandAmplitudes(power []float64, bins [stoiBands][2]int) [stoiBands]float64 {
	var a [stoiBands]float64
	for j, r := range bins {
		var s float64
		for k := r[0]; k < r[1] && k < len(power); k++ {
			s += power[k]
		}
		a[j] = math.Sqrt(s)
	}
	return a
}

// correlation is the sample correlation coefficient of x and y; 0 when
// either is constant.
func correlation(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return 0
	}
	return sxy / math.Sqrt(sxx*syy)
}
