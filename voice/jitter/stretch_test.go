package jitter

import (
	"math"
	"math/rand/v2"
	"testing"
)

func sine(n int, hz, amp float64) []int16 {
	x := make([]int16, n)
	for i := range x {
		x[i] = int16(amp * math.Sin(2*math.Pi*hz*float64(i)/48000))
	}
	return x
}

// maxStep is the largest jump between neighbouring samples: a seam shows
// up as a step far above the signal's own.
func maxStep(x []int16) float64 {
	m := 0.0
	for i := 1; i < len(x); i++ {
		m = max(m, math.Abs(float64(x[i])-float64(x[i-1])))
	}
	return m
}

func TestStretchVoicedRemovesAndInsertsWholePeriods(t *testing.T) {
	s := newStretcher(48000)
	for _, hz := range []float64{100, 160, 250} {
		x := sine(1920, hz, 10000)
		period := 48000 / hz
		out, removed := s.accelerate(x, false)
		if removed == 0 {
			t.Fatalf("%v Hz: not accelerated", hz)
		}
		if k := float64(removed) / period; math.Abs(k-math.Round(k)) > 0.02 || len(out) != len(x)-removed {
			t.Fatalf("%v Hz: removed %d samples, not whole %.1f-sample periods", hz, removed, period)
		}
		if maxStep(out) > 1.2*maxStep(x) {
			t.Fatalf("%v Hz: accelerate left a seam: step %.0f vs %.0f", hz, maxStep(out), maxStep(x))
		}
		x = sine(1920, hz, 10000)
		out, inserted := s.decelerate(x)
		if k := float64(inserted) / period; inserted == 0 || math.Abs(k-math.Round(k)) > 0.02 || len(out) != len(x)+inserted {
			t.Fatalf("%v Hz: inserted %d samples, not whole periods", hz, inserted)
		}
		if maxStep(out) > 1.2*maxStep(x) {
			t.Fatalf("%v Hz: decelerate left a seam: step %.0f vs %.0f", hz, maxStep(out), maxStep(x))
		}
	}
}

func TestStretchRefusesLoudNoise(t *testing.T) {
	s := newStretcher(48000)
	r := rand.New(rand.NewPCG(3, 3))
	x := make([]int16, 960)
	for i := range x {
		x[i] = int16(r.NormFloat64() * 6000)
	}
	if _, n := s.accelerate(x, false); n != 0 {
		t.Fatalf("cut %d samples out of loud noise", n)
	}
	if _, n := s.decelerate(x); n != 0 {
		t.Fatalf("inserted %d samples into loud noise", n)
	}
	for i := range x {
		x[i] /= 1000 // about -60 dBFS: a pause
	}
	if _, n := s.accelerate(x, false); n != 480 {
		t.Fatalf("cut %d samples out of a pause, want the longest period that fits (480)", n)
	}
}

func TestStretchShortInput(t *testing.T) {
	s := newStretcher(48000)
	x := sine(100, 200, 10000)
	if out, n := s.accelerate(x, true); n != 0 || len(out) != 100 {
		t.Fatalf("stretched %d samples of a 100-sample input", n)
	}
}
