package quality

import (
	"math"
	"math/bits"
)

// fft is an in-place iterative radix-2 complex FFT of one fixed size. The
// twiddle factors and the bit-reversal permutation are computed once, so a
// transform allocates nothing.
type fft struct {
	n       int
	rev     []int
	cos     []float64
	sin     []float64
	re, im  []float64
	power   []float64 // |X[k]|^2 for k <= n/2, filled by powerSpectra
	power2  []float64 // |Y[k]|^2, the second spectrum of powerSpectra
	window  []float64
	winSize int
}

// newFFT returns a transform of size n (a power of two) whose input frames
// of winSize samples are weighted by a periodic Hann window and zero-padded.
func newFFT(n, winSize int) *fft {
	if n&(n-1) != 0 || n < 2 {
		panic("quality: FFT size must be a power of two")
	}
	f := &fft{
		n:       n,
		rev:     make([]int, n),
		cos:     make([]float64, n/2),
		sin:     make([]float64, n/2),
		re:      make([]float64, n),
		im:      make([]float64, n),
		power:   make([]float64, n/2+1),
		power2:  make([]float64, n/2+1),
		window:  make([]float64, winSize),
		winSize: winSize,
	}
	shift := 64 - bits.Len(uint(n-1))
	for i := range f.rev {
		f.rev[i] = int(bits.Reverse64(uint64(i)) >> shift)
	}
	for i := range f.cos {
		a := -2 * math.Pi * float64(i) / float64(n)
		f.cos[i], f.sin[i] = math.Cos(a), math.Sin(a)
	}
	for i := range f.window {
		f.window[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(winSize))
	}
	return f
}

// transform runs the FFT on f.re, f.im in place.
func (f *fft) transform() {
	n := f.n
	for i, j := range f.rev {
		if i < j {
			f.re[i], f.re[j] = f.re[j], f.re[i]
			f.im[i], f.im[j] = f.im[j], f.im[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		half, step := size/2, n/size
		for start := 0; start < n; start += size {
			for k := 0; k < half; k++ {
				wr, wi := f.cos[k*step], f.sin[k*step]
				a, b := start+k, start+k+half
				tr := wr*f.re[b] - wi*f.im[b]
				ti := wr*f.im[b] + wi*f.re[b]
				f.re[b], f.im[b] = f.re[a]-tr, f.im[a]-ti
				f.re[a], f.im[a] = f.re[a]+tr, f.im[a]+ti
			}
		}
	}
}

// powerSpectra computes the power spectra of two real frames x and y with one
// complex transform of x + iy, using the symmetry X[k] = (Z[k] + conj
// Z[n-k]) / 2 and Y[k] = (Z[k] - conj Z[n-k]) / 2i. It returns |X|^2 and
// |Y|^2 for k in [0, n/2]; both slices are reused by the next call.
func (f *fft) powerSpectra(x, y []float64) (px, py []float64) {
	for i := range f.re {
		f.re[i], f.im[i] = 0, 0
	}
	for i, w := range f.window {
		f.re[i] = x[i] * w
		f.im[i] = y[i] * w
	}
	f.transform()
	for k := range f.power {
		j := (f.n - k) & (f.n - 1)
		a, b, c, d := f.re[k], f.im[k], f.re[j], f.im[j]
		f.power[k] = ((a+c)*(a+c) + (b-d)*(b-d)) / 4
		f.power2[k] = ((a-c)*(a-c) + (b+d)*(b+d)) / 4
	}
	return f.power, f.power2
}
