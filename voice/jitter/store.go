package jitter

import (
	"slices"
	"time"
)

// packet is one buffered payload, keyed by its unwrapped RTP timestamp.
type packet struct {
	ts      int64 // unwrapped RTP timestamp (48 kHz ticks)
	dur     int64 // duration in ticks, from the TOC
	arrival time.Time
	payload []byte // owned by the buffer
}

// store holds packets sorted by timestamp, at most capacity of them.
// Payload buffers are recycled, so steady-state Push allocates nothing.
type store struct {
	pkts     []*packet
	free     []*packet
	capacity int
}

func newStore(capacity int) *store {
	return &store{pkts: make([]*packet, 0, capacity), free: make([]*packet, 0, capacity), capacity: capacity}
}

func (s *store) len() int { return len(s.pkts) }

// search returns the index of the first packet with ts >= t.
func (s *store) search(t int64) int {
	i, _ := slices.BinarySearchFunc(s.pkts, t, func(p *packet, t int64) int {
		switch {
		case p.ts < t:
			return -1
		case p.ts > t:
			return 1
		}
		return 0
	})
	return i
}

// overlaps reports whether [ts, ts+dur) intersects a stored packet.
func (s *store) overlaps(ts, dur int64) bool {
	i := s.search(ts)
	if i < len(s.pkts) && s.pkts[i].ts < ts+dur {
		return true
	}
	return i > 0 && s.pkts[i-1].ts+s.pkts[i-1].dur > ts
}

// insert stores a copy of payload; the caller has checked overlaps and room.
func (s *store) insert(ts, dur int64, arrival time.Time, payload []byte) {
	var p *packet
	if n := len(s.free); n > 0 {
		p, s.free = s.free[n-1], s.free[:n-1]
	} else {
		p = new(packet)
	}
	p.ts, p.dur, p.arrival = ts, dur, arrival
	p.payload = append(p.payload[:0], payload...)
	s.pkts = slices.Insert(s.pkts, s.search(ts), p)
}

// first returns the earliest packet, or nil.
func (s *store) first() *packet {
	if len(s.pkts) == 0 {
		return nil
	}
	return s.pkts[0]
}

// at returns the packet starting exactly at ts, or nil.
func (s *store) at(ts int64) *packet {
	if i := s.search(ts); i < len(s.pkts) && s.pkts[i].ts == ts {
		return s.pkts[i]
	}
	return nil
}

// after returns the earliest packet starting after ts, or nil.
func (s *store) after(ts int64) *packet {
	if i := s.search(ts + 1); i < len(s.pkts) {
		return s.pkts[i]
	}
	return nil
}

// end is the timestamp just past the latest packet, or 0 when empty.
func (s *store) end() int64 {
	if len(s.pkts) == 0 {
		return 0
	}
	p := s.pkts[len(s.pkts)-1]
	return p.ts + p.dur
}

// release returns p's buffer to the free list; p must already be removed.
func (s *store) release(p *packet) {
	s.free = append(s.free, p)
}

// take removes and returns the packet starting at ts, or nil. The caller
// releases it when done with the payload.
func (s *store) take(ts int64) *packet {
	i := s.search(ts)
	if i == len(s.pkts) || s.pkts[i].ts != ts {
		return nil
	}
	p := s.pkts[i]
	s.pkts = slices.Delete(s.pkts, i, i+1)
	return p
}

// dropBefore removes every packet that starts before ts and returns how many.
func (s *store) dropBefore(ts int64) int {
	i := s.search(ts)
	for _, p := range s.pkts[:i] {
		s.release(p)
	}
	s.pkts = slices.Delete(s.pkts, 0, i)
	return i
}

// clear drops every packet.
func (s *store) clear() int { return s.dropBefore(1 << 62) }
