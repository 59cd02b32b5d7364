package voice

// statsLoop publishes the call's quality every statsInterval: RTT and the
// loss of our stream from the peer's RTCP receiver reports, jitter and loss
// of the peer's stream as we receive it, and the codec bit rate we send.
func (p *Phone) statsLoop(c *call) {
	t := p.clk.NewTicker(statsInterval)
	defer t.Stop()
	var ourSSRC uint32
	if enc := c.peer.sender.GetParameters().Encodings; len(enc) > 0 {
		ourSSRC = uint32(enc[0].SSRC)
	}
	last, lastBytes := p.clk.Now(), uint64(0)
	for {
		select {
		case <-c.ctx.Done():
			return
		case now := <-t.C():
			q := c.counters()
			bytes := c.stats.sentBytes.Load()
			if dt := now.Sub(last).Seconds(); dt > 0 {
				q.BitrateKbps = float64(bytes-lastBytes) * 8 / dt / 1000
			}
			last, lastBytes = now, bytes
			if g := c.peer.getter(); g != nil {
				if s := g.Get(ourSSRC); s != nil {
					q.RTT = s.RemoteInboundRTPStreamStats.RoundTripTime
					q.LossPct = s.RemoteInboundRTPStreamStats.FractionLost * 100
				}
				if ssrc := c.remoteSSRC.Load(); ssrc != 0 {
					if s := g.Get(ssrc); s != nil {
						in := s.InboundRTPStreamStats
						q.JitterMs = in.Jitter * 1000
						if total := float64(in.PacketsReceived) + float64(in.PacketsLost); total > 0 && in.PacketsLost > 0 {
							q.InboundLossPct = float64(in.PacketsLost) / total * 100
						}
					}
				}
			}
			// The peer's view of our loss sizes the encoder's in-band FEC.
			if l, ok := c.stream.(interface{ SetPacketLoss(int) }); ok && q.RTT > 0 {
				l.SetPacketLoss(int(q.LossPct + 0.5))
			}
			p.post(c, qualityUpdate{c: c, q: q})
		}
	}
}

type qualityUpdate struct {
	c *call
	q Quality
}

func (e qualityUpdate) handle(p *Phone) {
	if p.call != e.c {
		return
	}
	e.c.q = e.q
	p.publish(e.c)
}

// quality is the last link figures with the current media counters. Only
// the Phone's goroutine reads c.q.
func (c *call) quality() Quality {
	q := c.counters()
	q.RTT, q.LossPct, q.InboundLossPct, q.JitterMs, q.BitrateKbps = c.q.RTT, c.q.LossPct, c.q.InboundLossPct, c.q.JitterMs, c.q.BitrateKbps
	return q
}

// counters is the media counters alone; any goroutine may read them.
func (c *call) counters() Quality {
	var q Quality
	q.FramesSent = c.stats.sent.Load()
	q.FramesReceived = c.stats.received.Load()
	q.FramesRejected = c.stats.rejected.Load()
	return q
}
