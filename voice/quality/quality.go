// Package quality measures received speech against the speech that was sent,
// in pure Go, so tests and the demo can assert that voice survives a call:
// an intelligibility score modelled on STOI, delay by envelope and waveform
// cross-correlation, log-spectral distance, and level. All functions take
// mono 16-bit PCM at one sample rate.
package quality

import (
	"fmt"
	"slices"
	"time"
)

// Report compares a received signal with the reference it came from.
type Report struct {
	Delay     time.Duration // median lag of the received signal behind the reference
	DelayMin  time.Duration // smallest and largest lag of any speech piece:
	DelayMax  time.Duration // the jitter buffer moves the delay during a call
	DelayCorr float64       // waveform correlation at the overall lag
	STOI      float64       // intelligibility, 1 = identical (see STOI)
	LSD       float64       // log-spectral distance in dB (see LSD)
	RefRMS    float64       // level of the reference, full scale = 1
	DegRMS    float64       // level of the received signal over the same span
	Clipped   int           // received samples at either rail
}

func (r Report) String() string {
	return fmt.Sprintf("stoi %.3f, delay %v (%v-%v, corr %.2f), lsd %.2f dB, level %+.1f dB",
		r.STOI, r.Delay.Round(100*time.Microsecond), r.DelayMin.Round(100*time.Microsecond), r.DelayMax.Round(100*time.Microsecond),
		r.DelayCorr, r.LSD, DBFS(r.DegRMS)-DBFS(r.RefRMS))
}

// Compare aligns deg to ref (searching delays up to maxDelay, then
// following delay changes piece by piece) and scores the aligned signal.
func Compare(ref, deg []int16, rate int, maxDelay time.Duration) (Report, error) {
	maxLag := int(maxDelay.Seconds() * float64(rate))
	lag, corr := Delay(ref, deg, rate, maxLag)
	aligned, lags := alignPiecewise(ref, deg, rate, lag)
	dur := func(l int) time.Duration { return time.Duration(l) * time.Second / time.Duration(rate) }
	rep := Report{
		Delay:     dur(median(lags)),
		DelayMin:  dur(slices.Min(append(lags, lag))),
		DelayMax:  dur(slices.Max(append(lags, lag))),
		DelayCorr: corr,
		RefRMS:    RMS(ref),
		DegRMS:    RMS(aligned),
		Clipped:   Clipped(deg),
	}
	var err error
	if rep.STOI, err = STOI(ref, aligned, rate); err != nil {
		return rep, fmt.Errorf("quality: compare: %w", err)
	}
	if rep.LSD, err = LSD(ref, aligned, rate); err != nil {
		return rep, fmt.Errorf("quality: compare: %w", err)
	}
	return rep, nil
}
