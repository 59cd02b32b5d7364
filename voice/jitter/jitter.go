// Package jitter is the receive-side playout buffer of a call: an adaptive
// jitter buffer modelled on WebRTC's NetEq. The network pushes packets in
// whatever order and rhythm they arrive; the sound card pulls one frame of
// PCM each time it needs one. In between, the buffer decodes packets in
// timestamp order, recovers a lost frame from the next packet's in-band FEC or
// conceals it, fades to silence after a long loss and resynchronises, and
// keeps its depth at a target learned from the link's delay jitter by
// shortening or stretching voiced speech one pitch period at a time. Because
// playout is paced by the sink's own clock, clock drift between the sending
// phone's microphone and this phone's speaker is absorbed the same way.
//
// Packets are keyed by unwrapped RTP timestamp (48 kHz for Opus, RFC 7587),
// and each packet's duration is read from its Opus TOC byte.
package jitter

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"mehfooz/clock"
	"mehfooz/voice/codec"
)

// Config sets up a Buffer. Zero fields take the defaults in parentheses.
type Config struct {
	// Decoder decodes the stream's packets; the Buffer is its only user.
	Decoder codec.Decoder
	// Rate is the PCM rate of the decoder and the sink (48000); it must
	// divide 48000. Output is mono.
	Rate int
	// MinDelay and MaxDelay bound the target depth (40 ms, 150 ms).
	// MaxDelay is the main latency lever: deeper buffers conceal less on a
	// bad cell but add mouth-to-ear delay.
	MinDelay, MaxDelay time.Duration
	// StartDelay is the depth to build before playout starts and after a
	// resync, until the link's jitter is known (60 ms).
	StartDelay time.Duration
	// Capacity bounds the packets held (200).
	Capacity int
	// Quantile of the delay histogram the target covers (0.95), and the
	// histogram's forget factor per 500 ms interval (0.983).
	Quantile, ForgetFactor float64
	// ConcealLimit is how long concealment may run before the output fades
	// to silence and waits to resynchronise (200 ms).
	ConcealLimit time.Duration
	// Clock stamps playout for the delay statistics (clock.Real).
	Clock clock.Clock
}

func (c Config) withDefaults() (Config, error) {
	if c.Decoder == nil {
		return c, errors.New("jitter: config: no decoder")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.Rate == 0 {
		c.Rate = 48000
	}
	def(&c.MinDelay, 40*time.Millisecond)
	def(&c.MaxDelay, 150*time.Millisecond)
	def(&c.StartDelay, 60*time.Millisecond)
	def(&c.ConcealLimit, 200*time.Millisecond)
	if c.Capacity == 0 {
		c.Capacity = 200
	}
	if c.Quantile == 0 {
		c.Quantile = 0.95
	}
	if c.ForgetFactor == 0 {
		c.ForgetFactor = 0.983
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	switch {
	case c.Rate <= 0 || codec.RTPClockRate%c.Rate != 0 || c.Rate < 8000:
		return c, fmt.Errorf("jitter: config: rate %d Hz does not divide 48 kHz", c.Rate)
	case c.MinDelay < 0 || c.MaxDelay < c.MinDelay || c.MaxDelay > 2*time.Second:
		return c, fmt.Errorf("jitter: config: delay bounds %v-%v", c.MinDelay, c.MaxDelay)
	case c.StartDelay < c.MinDelay || c.StartDelay > c.MaxDelay:
		return c, fmt.Errorf("jitter: config: start delay %v outside %v-%v", c.StartDelay, c.MinDelay, c.MaxDelay)
	case c.Capacity < 4 || c.Capacity > 10000:
		return c, fmt.Errorf("jitter: config: capacity %d", c.Capacity)
	case c.Quantile <= 0 || c.Quantile >= 1 || c.ForgetFactor <= 0 || c.ForgetFactor >= 1:
		return c, fmt.Errorf("jitter: config: quantile %v, forget factor %v", c.Quantile, c.ForgetFactor)
	case c.ConcealLimit < 20*time.Millisecond:
		return c, fmt.Errorf("jitter: config: conceal limit %v", c.ConcealLimit)
	}
	return c, nil
}

// Op records what Pull did to produce a frame; one Pull may do several.
type Op uint16

// Operations, after NetEq's.
const (
	OpNormal     Op = 1 << iota // decoded a packet as it came
	OpFEC                       // recovered a lost frame from the next packet's FEC
	OpConceal                   // concealed a missing frame (codec PLC)
	OpAccelerate                // removed a pitch period: the buffer was too deep
	OpDecelerate                // inserted a pitch period: the buffer was too shallow
	OpMerge                     // cross-faded into audio after a gap or a skip
	OpSkip                      // jumped over a gap or dropped audio beyond MaxDelay
	OpSilence                   // played silence: buffering, or faded after long loss
)

func (o Op) String() string {
	names := []string{"normal", "fec", "conceal", "accelerate", "decelerate", "merge", "skip", "silence"}
	s := ""
	for i, n := range names {
		if o&(1<<i) != 0 {
			if s != "" {
				s += "+"
			}
			s += n
		}
	}
	return s
}

type state int

const (
	buffering state = iota // silence until the target depth is buffered
	playing
)

const (
	horizon      = 2 * time.Second       // packets further from playout are suspect
	resyncAfter  = 3                     // consistent suspect packets that move the timeline
	stretchEvery = 60 * time.Millisecond // at most one time-scale change per interval
	levelSmooth  = 0.9                   // level filter coefficient per Pull
	lowMargin    = 5 * time.Millisecond  // decelerate below target minus this
	mergeDur     = 2500 * time.Microsecond
	maxRefills   = 64 // refill steps per Pull, a guard against hostile timelines
)

// Buffer is an adaptive jitter buffer for one received stream. Push and Pull
// may be called from different goroutines.
type Buffer struct {
	mu  sync.Mutex
	cfg Config
	dec codec.Decoder

	scale   int64 // RTP ticks per PCM sample
	quantum int64 // ticks in 2.5 ms, the smallest Opus frame

	store   *store
	ts, seq unwrapper
	est     *estimator
	stretch *stretcher

	state      state
	next       int64 // timestamp of the next audio to decode, when playing
	base       int64 // timestamp the estimator's RTP time counts from
	lastDur    int64 // ticks of the last frame produced
	mergeNext  bool  // cross-fade into the next decoded frame
	concealRun int64 // samples concealed in a row
	waited     int64 // ticks concealed while waiting for the packet at next
	faded      bool  // concealment ran past ConcealLimit
	played     bool  // playout has started at least once
	lastOut    int16 // the last sample Pull returned

	suspectTS    int64 // last packet too far from playout
	suspectCount int

	pending   []int16 // decoded, not yet pulled
	frame     []int16 // decoder output
	mergeLen  int     // samples cross-faded by merge
	target    time.Duration
	filtered  float64 // smoothed level, samples
	sinceTSOp int64   // samples produced since the last time-scale change

	// RFC 3550 §A.8 interarrival jitter, in ticks.
	prevArrival time.Time
	prevTS      int64
	havePrev    bool
	jitter      float64

	firstSeq, maxSeq int64
	haveSeq          bool

	stats Stats
}

// New returns an empty Buffer; playout starts once StartDelay is buffered.
func New(cfg Config) (*Buffer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	b := &Buffer{
		cfg:     cfg,
		dec:     cfg.Decoder,
		scale:   int64(codec.RTPClockRate / cfg.Rate),
		quantum: codec.RTPClockRate / 400,
		store:   newStore(cfg.Capacity),
		ts:      unwrapper{bits: 32},
		seq:     unwrapper{bits: 16},
		est:     newEstimator(cfg.Quantile, cfg.ForgetFactor),
		stretch: newStretcher(cfg.Rate),
		lastDur: codec.RTPClockRate / 50,
		frame:   make([]int16, 5760),
		target:  cfg.StartDelay,
	}
	b.pending = make([]int16, 0, 4*5760)
	b.mergeLen = b.samples(b.ticks(mergeDur))
	return b, nil
}

func (b *Buffer) ticks(d time.Duration) int64 {
	return int64(d) * codec.RTPClockRate / int64(time.Second)
}

func (b *Buffer) samples(ticks int64) int { return int(ticks / b.scale) }

func (b *Buffer) duration(samples float64) time.Duration {
	return time.Duration(samples * float64(time.Second) / float64(b.cfg.Rate))
}

// ErrPayload is returned by Push for a payload that is not an Opus packet.
var ErrPayload = errors.New("jitter: bad payload")

// Push hands the buffer one received packet: its RTP sequence number and
// timestamp, when it arrived, and its Opus payload (copied; the caller may
// reuse it). Duplicates, packets too late to play and packets implausibly
// far from the stream's timeline are counted and dropped. Push never blocks
// for longer than a Pull's decode.
func (b *Buffer) Push(seq uint16, ts uint32, arrival time.Time, payload []byte) error {
	if len(payload) > codec.MaxPacket {
		b.mu.Lock()
		b.stats.PacketsDiscarded++
		b.mu.Unlock()
		return fmt.Errorf("%w: %d bytes", ErrPayload, len(payload))
	}
	n, err := codec.PacketSamples(payload, codec.RTPClockRate)
	if err != nil {
		b.mu.Lock()
		b.stats.PacketsDiscarded++
		b.mu.Unlock()
		return fmt.Errorf("%w: %w", ErrPayload, err)
	}
	dur := int64(n)

	b.mu.Lock()
	defer b.mu.Unlock()
	b.stats.PacketsReceived++
	t := b.ts.peek(ts)
	if !b.ts.started {
		b.base = t
	}

	if b.far(t) {
		if !b.resyncTo(t) {
			b.stats.PacketsDiscarded++
			return nil
		}
	} else {
		b.suspectCount = 0
	}
	b.ts.advance(t)
	b.countSeq(seq)
	b.interarrival(t, arrival)

	if b.est.observe(arrival, time.Duration((t-b.base)*int64(time.Second)/codec.RTPClockRate)) {
		b.retarget()
	}

	switch {
	case b.played && t < b.next:
		b.stats.PacketsDiscarded++ // arrived after its playout time
	case b.store.at(t) != nil:
		b.stats.PacketsDuplicated++
	case b.store.overlaps(t, dur):
		b.stats.PacketsDiscarded++ // overlaps audio we hold: not a valid stream
	default:
		if b.store.len() >= b.cfg.Capacity {
			b.stats.PacketsDiscarded += uint64(b.store.dropBefore(b.store.first().ts + 1))
		}
		b.store.insert(t, dur, arrival, payload)
	}
	return nil
}

// far reports whether t lies outside the horizon around the playout point.
func (b *Buffer) far(t int64) bool {
	var ref int64
	switch {
	case b.state == playing:
		ref = b.next
	case b.store.len() > 0:
		ref = b.store.first().ts
	case b.ts.started:
		ref = b.ts.highest
	default:
		return false
	}
	h := b.ticks(horizon)
	return t > ref+h || t < ref-h
}

// resyncTo decides whether a packet far from the timeline starts a new one:
// at once when the buffer holds nothing to play, else after resyncAfter
// packets that follow each other there.
func (b *Buffer) resyncTo(t int64) bool {
	idle := b.store.len() == 0 && (b.state == buffering || b.faded)
	if !idle {
		if b.suspectCount > 0 && t > b.suspectTS && t-b.suspectTS <= 4*b.lastDur {
			b.suspectCount++
		} else {
			b.suspectCount = 1
		}
		b.suspectTS = t
		if b.suspectCount < resyncAfter {
			return false
		}
	}
	b.stats.PacketsDiscarded += uint64(b.store.clear())
	b.state = buffering
	b.faded = false
	b.played = false
	b.base = t
	b.est.rebase()
	b.suspectCount = 0
	b.ts.reset()
	b.havePrev = false
	b.stats.Resyncs++
	return true
}

func (b *Buffer) countSeq(seq uint16) {
	s := b.seq.peek(uint32(seq))
	b.seq.advance(s)
	if !b.haveSeq {
		b.haveSeq, b.firstSeq, b.maxSeq = true, s, s
	}
	b.firstSeq = min(b.firstSeq, s)
	b.maxSeq = max(b.maxSeq, s)
}

// interarrival updates the RFC 3550 §A.8 jitter estimate.
func (b *Buffer) interarrival(t int64, arrival time.Time) {
	if b.havePrev {
		d := arrival.Sub(b.prevArrival).Seconds()*codec.RTPClockRate - float64(t-b.prevTS)
		if d < 0 {
			d = -d
		}
		b.jitter += (d - b.jitter) / 16
	}
	b.prevArrival, b.prevTS, b.havePrev = arrival, t, true
}

// retarget sets the target depth from the delay estimate: the relative
// delay quantile, plus a frame for the Pull granularity and a frame so the
// next packet is there when FEC needs it.
func (b *Buffer) retarget() {
	rel, ok := b.est.delay()
	if !ok {
		return
	}
	frame := time.Duration(b.lastDur) * time.Second / codec.RTPClockRate
	b.target = min(max(rel+2*frame, b.cfg.MinDelay), b.cfg.MaxDelay)
}

// level is the audio held ahead of the playout point, in samples.
func (b *Buffer) level() int {
	n := len(b.pending)
	if b.store.len() == 0 {
		return n
	}
	from := b.store.first().ts
	if b.state == playing {
		from = b.next
	}
	if end := b.store.end(); end > from {
		n += b.samples(end - from)
	}
	return n
}

// Pull fills pcm with the next len(pcm) samples of playout. The sink calls
// it once per period of its own clock (20 ms frames for a call). It returns
// what it did (0 when pcm came entirely from audio decoded by an earlier
// Pull, as after a 40 or 60 ms packet); it fails only on an unusable pcm
// length.
func (b *Buffer) Pull(pcm []int16) (Op, error) {
	if len(pcm) == 0 || len(pcm) > 5760 {
		return 0, fmt.Errorf("jitter: pull of %d samples", len(pcm))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.cfg.Clock.Now()
	lvl := b.level()
	b.filtered = levelSmooth*b.filtered + (1-levelSmooth)*float64(lvl)

	var op Op
	silent := 0
	for i := 0; len(b.pending) < len(pcm); i++ {
		if b.state == buffering && !b.start() || i == maxRefills {
			silent = len(pcm) - len(b.pending)
			b.pending = append(b.pending, make([]int16, silent)...)
			op |= OpSilence
			break
		}
		op |= b.refill(now)
	}
	copy(pcm, b.pending)
	b.lastOut = pcm[len(pcm)-1]
	b.pending = append(b.pending[:0], b.pending[len(pcm):]...)

	played := len(pcm) - silent
	b.stats.TotalSamplesReceived += uint64(played)
	if b.faded {
		b.stats.SilentConcealedSamples += uint64(played)
	}
	b.sinceTSOp += int64(len(pcm))
	return op, nil
}

// start begins playout when the buffered depth reaches the target.
func (b *Buffer) start() bool {
	first := b.store.first()
	if first == nil || b.duration(float64(b.level())) < b.target {
		return false
	}
	b.state = playing
	b.played = true
	b.next = first.ts
	b.waited = 0
	b.filtered = float64(b.level())
	b.mergeNext = true
	b.faded = false
	b.concealRun = 0
	return true
}

// refill appends at least some audio to pending, or changes state.
func (b *Buffer) refill(now time.Time) Op {
	maxTicks := b.ticks(b.cfg.MaxDelay)
	// Far too deep (a burst after a stall): drop the oldest audio down to
	// the target rather than play it late.
	if over := b.store.end() - b.next; b.store.len() > 0 && over > maxTicks+2*b.lastDur {
		keep := b.store.end() - b.ticks(b.target)
		p := b.store.after(keep - 1)
		if p != nil && p.ts > b.next {
			b.stats.PacketsDiscarded += uint64(b.store.dropBefore(p.ts))
			b.next = p.ts
			b.waited = 0
			b.mergeNext = true
			return OpSkip
		}
	}
	if p := b.store.take(b.next); p != nil {
		op := b.decode(p, now)
		b.store.release(p)
		return op
	}
	later := b.store.after(b.next)
	if later == nil {
		// Nothing to play: conceal and wait for the late packet.
		b.waited += b.lastDur
		return b.conceal(b.lastDur)
	}
	gap := later.ts - b.next
	if b.waited > 0 {
		// The frame was concealed while we waited for it, and a later packet
		// shows it lost: what was played stands in for it.
		d := min(gap, b.waited)
		b.next += d
		b.waited -= d
		return 0
	}
	if gap > maxTicks {
		b.next = later.ts
		b.waited = 0
		b.mergeNext = true
		return OpSkip
	}
	d := min(gap, b.lastDur)
	d -= d % b.quantum
	if d == 0 {
		b.next = later.ts // misaligned timestamps: jump to the packet
		b.waited = 0
		return OpSkip
	}
	if gap == d {
		// The frame just before a packet we hold: its FEC recovers it.
		n, err := b.dec.DecodeFEC(later.payload, b.frame[:b.samples(d)])
		if err == nil && n == b.samples(d) {
			b.next += d
			b.waited = 0
			b.lastDur = d
			b.stats.FECSamples += uint64(n)
			b.produce(b.frame[:n], false)
			return OpFEC
		}
	}
	op := b.conceal(d)
	b.next += d
	b.waited = 0
	return op
}

// decode plays packet p, then time-stretches if the depth is off target.
func (b *Buffer) decode(p *packet, now time.Time) Op {
	b.next = p.ts + p.dur
	b.waited = 0
	n, err := b.dec.Decode(p.payload, b.frame)
	if err != nil || int64(n) != p.dur/b.scale {
		b.stats.DecodeErrors++
		return b.conceal(p.dur)
	}
	b.lastDur = p.dur
	pcm := b.frame[:n]
	op := OpNormal
	if b.mergeNext {
		b.merge(pcm)
		op |= OpMerge
	}
	b.concealRun, b.faded = 0, false
	b.stats.JitterBufferDelay += (now.Sub(p.arrival).Seconds() + float64(len(b.pending))/float64(b.cfg.Rate)) * float64(n)
	b.stats.JitterBufferTargetDelay += b.target.Seconds() * float64(n)
	b.stats.JitterBufferEmittedCount += uint64(n)
	return op | b.produce(pcm, true)
}

// produce appends decoded audio to pending, stretching it when allowed.
func (b *Buffer) produce(pcm []int16, stretch bool) Op {
	b.pending = append(b.pending, pcm...)
	if !stretch || b.duration(float64(b.sinceTSOp)) < stretchEvery {
		return 0
	}
	// The depth moves in whole frames as packet arrivals and pulls slip past
	// each other (by drift or jitter), so the dead band must be narrower than
	// a frame below the target: a depth of target-20 ms may be one slip from
	// an underrun. Above the target there is room for one frame.
	target := float64(b.samples(b.ticks(b.target)))
	low := target - float64(b.samples(b.ticks(lowMargin)))
	high := low + float64(b.samples(b.lastDur))
	var op Op
	var out []int16
	var delta int
	switch {
	case b.filtered >= high:
		out, delta = b.stretch.accelerate(b.pending, b.filtered >= 4*high)
		if delta > 0 {
			op = OpAccelerate
			b.stats.RemovedSamplesForAcceleration += uint64(delta)
			b.filtered -= float64(delta)
		}
	case b.filtered < low:
		out, delta = b.stretch.decelerate(b.pending)
		if delta > 0 {
			op = OpDecelerate
			b.stats.InsertedSamplesForDeceleration += uint64(delta)
			b.filtered += float64(delta)
		}
	}
	if delta > 0 {
		b.pending = append(b.pending[:0], out...)
		b.sinceTSOp = 0
	}
	return op
}

// conceal plays d ticks of codec concealment, fading to silence once the
// run passes ConcealLimit.
func (b *Buffer) conceal(d int64) Op {
	n := b.samples(d)
	pcm := b.frame[:n]
	if b.faded {
		clear(pcm)
	} else if got, err := b.dec.Decode(nil, pcm); err != nil || got != n {
		clear(pcm)
	}
	if b.concealRun == 0 {
		b.stats.ConcealmentEvents++
	}
	limit := int64(b.samples(b.ticks(b.cfg.ConcealLimit)))
	if !b.faded && b.concealRun+int64(n) > limit {
		// Fade out over this frame, then stay silent until packets return.
		for i := range pcm {
			pcm[i] = int16(int64(pcm[i]) * int64(n-i) / int64(n))
		}
		b.faded = true
		b.mergeNext = true
	}
	b.concealRun += int64(n)
	b.lastDur = d
	b.stats.ConcealedSamples += uint64(n)
	b.pending = append(b.pending, pcm...)
	if b.faded && b.store.len() == 0 {
		// Long loss with nothing buffered: rebuild depth before playing on.
		b.state = buffering
	}
	return OpConceal
}

// merge cross-fades the start of a frame that follows a gap, a skip or
// silence from the last sample played, so no step is heard.
func (b *Buffer) merge(pcm []int16) {
	b.mergeNext = false
	last := b.lastOut
	if k := len(b.pending); k > 0 {
		last = b.pending[k-1]
	}
	m := min(b.mergeLen, len(pcm))
	for i := range m {
		w := float64(i+1) / float64(m+1)
		from := float64(last) * float64(m-i) / float64(m)
		pcm[i] = int16(from*(1-w) + float64(pcm[i])*w)
	}
}

// Stats returns the counters so far and the current depth and target.
func (b *Buffer) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.stats
	if b.haveSeq {
		s.PacketsLost = (b.maxSeq - b.firstSeq + 1) - int64(s.PacketsReceived-s.PacketsDuplicated)
	}
	s.Jitter = time.Duration(b.jitter * float64(time.Second) / codec.RTPClockRate)
	s.TargetDelay = b.target
	s.Level = b.duration(float64(b.level()))
	return s
}
