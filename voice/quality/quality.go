// Package quality measures received speech against the speech that was sent,
// in pure Go, so tests and the demo can assert that voice survives a call:
// an intelligibility score modelled on STOI, delay by envelope and waveform
// cross-correlation, log-spectral distance, and level. All functions take
// mono 16-bit PCM at one sample rate.
package quality

import (
	"fmt"
	"time"
)

// Report compares a received signal with the reference it came from.
type Report struct {
	Delay     time.Duration // how far the received signal lags the reference
	DelayCorr float64       // waveform correlation at that lag
	STOI      float64       // intelligibility, 1 = identical (see STOI)
	LSD       float64       // log-spectral distance in dB (see LSD)
	RefRMS    float64       // level of the reference, full scale = 1
	DegRMS    float64       // level of the received signal over the same span
	Clipped   int           // received samples at either rail
}

func (r Report) String() string {
	return fmt.Sprintf("stoi %.3f, delay %v (corr %.2f), lsd %.2f dB, level %+.1f dB",
		r.STOI, r.Delay, r.DelayCorr, r.LSD, DBFS(r.DegRMS)-DBFS(r.RefRMS))
}

// Compare aligns deg to ref (searching delays up to maxDelay) and scores the
// aligned overlap.
func Compare(ref, deg []int16, rate int, maxDelay time.Duration) (Report, error) {
	maxLag := int(maxDelay.Seconds() * float64(rate))
	lag, corr := Delay(ref, deg, rate, maxLag)
	r, d := ref, deg
	if lag >= 0 {
		d = deg[lag:]
	} else {
		r = ref[-lag:]
	}
	n := min(len(r), len(d))
	r, d = r[:n], d[:n]
	rep := Report{
		Delay:     time.Duration(lag) * time.Second / time.Duration(rate),
		DelayCorr: corr,
		RefRMS:    RMS(r),
		DegRMS:    RMS(d),
		Clipped:   Clipped(deg),
	}
	var err error
	if rep.STOI, err = STOI(r, d, rate); err != nil {
		return rep, fmt.Errorf("quality: compare: %w", err)
	}
	if rep.LSD, err = LSD(r, d, rate); err != nil {
		return rep, fmt.Errorf("quality: compare: %w", err)
	}
	return rep, nil
}
