package jitter

import "time"

// Stats are the receive statistics of a stream, named after the W3C
// "Identifiers for WebRTC's Statistics API" RTCInboundRtpStreamStats members
// where one exists. Sample counts are at the Buffer's PCM rate.
type Stats struct {
	PacketsReceived   uint64        // packets pushed, valid Opus
	PacketsLost       int64         // expected by sequence number minus received (RFC 3550 §A.3)
	PacketsDiscarded  uint64        // too late, too far from the timeline, overlapping, overflow, or beyond MaxDelay
	PacketsDuplicated uint64        // same timestamp as a packet held
	Jitter            time.Duration // RFC 3550 §A.8 interarrival jitter

	// jitterBufferDelay (seconds, summed over emitted samples),
	// jitterBufferTargetDelay and jitterBufferEmittedCount: divide a sum by
	// the count for the mean.
	JitterBufferDelay        float64
	JitterBufferTargetDelay  float64
	JitterBufferEmittedCount uint64

	TotalSamplesReceived           uint64 // samples played out, concealment included
	ConcealedSamples               uint64 // synthesised by codec PLC or silence
	SilentConcealedSamples         uint64 // of those, silence after the fade
	ConcealmentEvents              uint64 // runs of concealment
	InsertedSamplesForDeceleration uint64
	RemovedSamplesForAcceleration  uint64

	FECSamples   uint64 // recovered from in-band FEC (not counted as concealed)
	DecodeErrors uint64 // packets the decoder refused, concealed instead
	Resyncs      uint64 // timeline restarts after a timestamp jump

	TargetDelay time.Duration // current target depth
	Level       time.Duration // current depth: audio held ahead of playout
}

// MeanDelay is the mean time an emitted sample spent in the buffer.
func (s Stats) MeanDelay() time.Duration {
	if s.JitterBufferEmittedCount == 0 {
		return 0
	}
	return time.Duration(s.JitterBufferDelay / float64(s.JitterBufferEmittedCount) * float64(time.Second))
}
