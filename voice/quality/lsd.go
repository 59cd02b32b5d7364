package quality

import (
	"fmt"
	"math"
)

// LSD is the mean log-spectral distance in dB between ref and deg (aligned,
// same rate) over 20 ms Hann-windowed frames, using the bins below 7 kHz and
// only frames within 40 dB of the loudest reference frame. Identical signals
// give 0; Opus at 24 kbit/s on speech gives about 6-7 dB.
func LSD(ref, deg []int16, rate int) (float64, error) {
	n := min(len(ref), len(deg))
	win := rate / 50
	nfft := 1
	for nfft < win {
		nfft <<= 1
	}
	top := min(int(7000*float64(nfft)/float64(rate)), nfft/2)
	tr := newFFT(nfft, win)
	xr := make([]float64, win)
	xd := make([]float64, win)

	type frame struct {
		energy float64
		ref    []float64
		deg    []float64
	}
	var frames []frame
	peak := 0.0
	for start := 0; start+win <= n; start += win / 2 {
		for i := range win {
			xr[i] = float64(ref[start+i]) / 32768
			xd[i] = float64(deg[start+i]) / 32768
		}
		f := frame{ref: make([]float64, top), deg: make([]float64, top)}
		pr, pd := tr.powerSpectra(xr, xd)
		copy(f.ref, pr[1:top+1])
		copy(f.deg, pd[1:top+1])
		for _, p := range f.ref {
			f.energy += p
			peak = max(peak, p)
		}
		frames = append(frames, f)
	}
	loudest := 0.0
	for _, f := range frames {
		loudest = max(loudest, f.energy)
	}
	floor := peak * 1e-8 // -80 dB below the strongest bin keeps log(0) away
	var sum float64
	var count int
	for _, f := range frames {
		if f.energy < loudest*1e-4 {
			continue
		}
		var d2 float64
		for k := range f.ref {
			d := 10*math.Log10(f.ref[k]+floor) - 10*math.Log10(f.deg[k]+floor)
			d2 += d * d
		}
		sum += math.Sqrt(d2 / float64(len(f.ref)))
		count++
	}
	if count == 0 {
		return 0, fmt.Errorf("%w: no speech frames", ErrTooShort)
	}
	return sum / float64(count), nil
}
