package jitter

import "time"

// The delay target follows WebRTC NetEq's underrun optimizer: each packet's
// relative delay is how much later than the fastest recent packet it arrived
// (relative to its RTP time); the largest relative delay of each 500 ms of
// arrivals goes into a histogram that slowly forgets; the target is a high
// quantile of that histogram. Stalls and bursts on a cellular link then raise
// the target at once and let it sink back over tens of seconds.
const (
	bucketWidth   = 5 * time.Millisecond
	buckets       = 100 // 0-500 ms; larger delays land in the last bucket
	intervalLen   = 500 * time.Millisecond
	windowLen     = 2 * time.Second // span of the fastest-packet minimum
	windowCap     = 256             // transit samples kept for that minimum
	startForgetWt = 2.0             // early updates forget faster (see add)
)

type transit struct {
	arrival time.Duration // since the estimator's epoch
	transit time.Duration // arrival minus RTP time
}

type estimator struct {
	quantile float64
	forget   float64

	epoch   time.Time
	started bool

	// window is a monotonic deque (increasing transit) of recent packets, so
	// its head is the minimum transit over the last windowLen.
	window     [windowCap]transit
	head, size int

	intervalEnd time.Duration
	intervalMax time.Duration
	haveSample  bool

	hist    [buckets]float64
	updates int
}

func newEstimator(quantile, forget float64) *estimator {
	return &estimator{quantile: quantile, forget: forget}
}

// observe records a packet with RTP time rtp (since the stream's first
// timestamp) that arrived at arrival. It reports whether the histogram
// changed, so the caller can recompute the target.
func (e *estimator) observe(arrival time.Time, rtp time.Duration) bool {
	if !e.started {
		e.started, e.epoch = true, arrival
		e.intervalEnd = intervalLen
	}
	at := arrival.Sub(e.epoch)
	tr := at - rtp

	// Slide the window: expire old entries, then keep the deque increasing.
	for e.size > 0 && e.window[e.head].arrival < at-windowLen {
		e.head = (e.head + 1) % windowCap
		e.size--
	}
	for e.size > 0 && e.window[(e.head+e.size-1)%windowCap].transit >= tr {
		e.size--
	}
	if e.size == windowCap { // full of increasing transits: drop the oldest
		e.head = (e.head + 1) % windowCap
		e.size--
	}
	e.window[(e.head+e.size)%windowCap] = transit{arrival: at, transit: tr}
	e.size++
	rel := tr - e.window[e.head].transit

	changed := false
	for at >= e.intervalEnd {
		if e.haveSample {
			e.add(e.intervalMax)
			changed = true
		}
		e.haveSample, e.intervalMax = false, 0
		e.intervalEnd += intervalLen
		if at-e.intervalEnd > windowLen {
			// After a long silence, skip the empty intervals in one step.
			e.intervalEnd = at - at%intervalLen + intervalLen
		}
	}
	if !e.haveSample || rel > e.intervalMax {
		e.intervalMax, e.haveSample = rel, true
	}
	return changed
}

// add puts one interval maximum into the forgetting histogram. The forget
// factor starts low, so the first intervals are not outvoted by nothing.
func (e *estimator) add(d time.Duration) {
	f := min(e.forget, 1-startForgetWt/(float64(e.updates)+startForgetWt))
	e.updates++
	b := min(int(d/bucketWidth), buckets-1)
	for i := range e.hist {
		e.hist[i] *= f
	}
	e.hist[b] += 1 - f
}

// delay returns the quantile of the histogram: the relative delay that
// covers that share of the recent intervals. ok is false before any data.
func (e *estimator) delay() (d time.Duration, ok bool) {
	if e.updates == 0 {
		return 0, false
	}
	var total float64
	for _, w := range e.hist {
		total += w
	}
	var sum float64
	for i, w := range e.hist {
		sum += w
		if sum >= e.quantile*total {
			return time.Duration(i+1) * bucketWidth, true
		}
	}
	return buckets * bucketWidth, true
}

// rebase forgets the transit window after a timeline jump (a new RTP time
// base), keeping the histogram.
func (e *estimator) rebase() {
	e.size, e.head = 0, 0
}
