package voice

import (
	"errors"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4/pkg/media"

	"mehfooz/voice/seal"
)

// innerFailAfter is how many frames in a row may fail the inner layer before
// the call ends: one second of audio. A peer without the inner layer, or
// someone injecting frames, is refused; a stray bad frame is only counted.
const innerFailAfter = 50

// sendLoop takes frames from the audio stream, seals them and hands them to
// SRTP, at the pace the stream sets.
func (p *Phone) sendLoop(c *call) {
	buf := make([]byte, seal.MaxFrame)
	out := make([]byte, 0, seal.MaxFrame+seal.Overhead)
	for {
		n, err := c.stream.ReadFrame(c.ctx, buf)
		if err != nil {
			if c.ctx.Err() == nil {
				p.log.Warn("audio source", "call", c.idHex(), "err", err)
				p.post(c, mediaFailed{c: c, err: err})
			}
			return
		}
		frame := buf[:n]
		var flags byte
		if c.localHold.Load() {
			clear(frame) // same size, no audio
			flags = seal.FlagFiller
		}
		payload := frame
		if !p.cfg.test.sendUnsealed {
			payload, err = c.keys.sealer.Seal(out[:0], frame, flags)
			if err != nil {
				p.post(c, mediaFailed{c: c, err: err, security: true})
				return
			}
		}
		if err := c.peer.track.WriteSample(media.Sample{Data: payload, Duration: FrameDuration}); err != nil {
			if c.ctx.Err() == nil {
				p.log.Debug("write sample", "err", err)
			}
			continue
		}
		c.stats.sent.Add(1)
		c.stats.sentBytes.Add(uint64(n))
	}
}

// recvLoop opens the peer's frames and hands them to the audio stream.
func (p *Phone) recvLoop(c *call) {
	out := make([]byte, 0, seal.MaxFrame)
	failures := 0
	for {
		pkt, _, err := c.remote.ReadRTP()
		if err != nil {
			return // the peer connection closed
		}
		frame, h, err := c.keys.opener.Open(out[:0], pkt.Payload)
		if err != nil {
			c.stats.rejected.Add(1)
			if errors.Is(err, seal.ErrAuth) || errors.Is(err, seal.ErrMalformed) {
				if failures++; failures == innerFailAfter {
					p.post(c, mediaFailed{c: c, err: err, security: true})
				}
			}
			continue
		}
		failures = 0
		if h.Flags&seal.FlagFiller != 0 {
			continue
		}
		c.stats.received.Add(1)
		c.stream.WriteFrame(Frame{Seq: pkt.SequenceNumber, Timestamp: pkt.Timestamp, Arrival: p.clk.Now(), Payload: frame})
	}
}

// drainRTCP reads RTCP until the stream closes. Without a reader the
// interceptors never see the reports, and RTT and loss stay 0.
func drainRTCP(read func() ([]rtcp.Packet, interceptor.Attributes, error)) {
	for {
		if _, _, err := read(); err != nil {
			return
		}
	}
}

type mediaFailed struct {
	c        *call
	err      error
	security bool
}

func (e mediaFailed) handle(p *Phone) {
	if p.call != e.c {
		return
	}
	if e.security {
		p.refuse(e.c, CheckInnerLayer, e.err)
		return
	}
	p.finish(e.c, EndReason{Kind: EndNetwork, Detail: "audio: " + e.err.Error()}, 0, "")
}

// statsInterval is how often the call's quality is published.
const statsInterval = time.Second
