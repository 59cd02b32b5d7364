package quality

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPowerSpectraMatchesDFT checks the two-for-one FFT against a direct DFT
// of each windowed, zero-padded frame.
func TestPowerSpectraMatchesDFT(t *testing.T) {
	const n, win = 64, 50
	r := rand.New(rand.NewPCG(1, 2))
	x, y := make([]float64, win), make([]float64, win)
	for i := range x {
		x[i], y[i] = r.NormFloat64(), r.NormFloat64()
	}
	f := newFFT(n, win)
	px, py := f.powerSpectra(x, y)
	dft := func(v []float64, k int) float64 {
		var re, im float64
		for i := range win {
			a := -2 * math.Pi * float64(i*k) / n
			re += v[i] * f.window[i] * math.Cos(a)
			im += v[i] * f.window[i] * math.Sin(a)
		}
		return re*re + im*im
	}
	for k := 0; k <= n/2; k++ {
		if wx, wy := dft(x, k), dft(y, k); math.Abs(px[k]-wx) > 1e-9*(1+wx) || math.Abs(py[k]-wy) > 1e-9*(1+wy) {
			t.Fatalf("bin %d: got %g, %g; DFT gives %g, %g", k, px[k], py[k], wx, wy)
		}
	}
}
