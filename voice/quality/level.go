package quality

import "math"

// RMS is the root-mean-square level of x relative to full scale: a
// full-scale square wave is 1, a full-scale sine 0.707, silence 0.
func RMS(x []int16) float64 {
	if len(x) == 0 {
		return 0
	}
	var s float64
	for _, v := range x {
		f := float64(v) / 32768
		s += f * f
	}
	return math.Sqrt(s / float64(len(x)))
}

// DBFS converts a level from RMS to decibels relative to full scale.
func DBFS(rms float64) float64 { return 20 * math.Log10(rms) }

// Clipped counts samples at either rail, a sign of overload.
func Clipped(x []int16) int {
	n := 0
	for _, v := range x {
		if v == math.MaxInt16 || v == math.MinInt16 {
			n++
		}
	}
	return n
}
