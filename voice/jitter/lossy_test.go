package jitter_test

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/voice/audio"
	"mehfooz/voice/codec"
	"mehfooz/voice/jitter"
	"mehfooz/voice/link"
	"mehfooz/voice/quality"
)

var speechOnce struct {
	sync.Once
	pcm []int16
	err error
}

func speech(tb testing.TB) []int16 {
	tb.Helper()
	speechOnce.Do(func() {
		f, err := os.Open("../audio/testdata/speech48k.wav")
		if err != nil {
			speechOnce.err = err
			return
		}
		defer f.Close()
		_, speechOnce.pcm, speechOnce.err = audio.ReadWAV(f, 1<<21)
	})
	if speechOnce.err != nil {
		tb.Fatal(speechOnce.err)
	}
	return speechOnce.pcm
}

// rtpPacket is what the call's RTP layer carries for one frame.
type rtpPacket struct {
	seq     uint16
	ts      uint32
	payload []byte
}

// encode packetises the speech as the sender does: one Opus frame per RTP
// packet, the timestamp advancing 960 per 20 ms (RFC 7587), followed by a
// second of silence so the receiver's output covers all of the speech.
func encode(t *testing.T, x []int16, lossPercent float64) []rtpPacket {
	t.Helper()
	cfg := codec.Call
	// What the sender sets once RTCP receiver reports tell it the loss.
	cfg.PacketLoss = codec.PacketLossSetting(lossPercent)
	enc, err := codec.NewEncoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	x = append(slices.Clone(x), make([]int16, 48000)...)
	buf := make([]byte, codec.MaxPacket)
	var pkts []rtpPacket
	for i := 0; (i+1)*960 <= len(x); i++ {
		n, err := enc.Encode(x[i*960:(i+1)*960], buf)
		if err != nil {
			t.Fatal(err)
		}
		pkts = append(pkts, rtpPacket{seq: uint16(40000 + i), ts: uint32(7777 + i*960), payload: slices.Clone(buf[:n])})
	}
	return pkts
}

// silenceFill is a decoder that fills lost frames with silence: the
// baseline that concealment and FEC must beat.
type silenceFill struct{ codec.Decoder }

func (s silenceFill) Decode(pkt []byte, pcm []int16) (int, error) {
	if len(pkt) == 0 {
		clear(pcm)
		return len(pcm), nil
	}
	return s.Decoder.Decode(pkt, pcm)
}

func (s silenceFill) DecodeFEC(_ []byte, pcm []int16) (int, error) { return s.Decode(nil, pcm) }

// plcOnly ignores the FEC in packets, concealing instead.
type plcOnly struct{ codec.Decoder }

func (p plcOnly) DecodeFEC(_ []byte, pcm []int16) (int, error) { return p.Decoder.Decode(nil, pcm) }

// transmit sends pkts every 20 ms through the link model and plays them out
// through a jitter buffer pulled every 20 ms by a sink 7 ms out of phase,
// all in simulated time. It returns the played audio and the buffer's stats.
func transmit(t *testing.T, pkts []rtpPacket, imp link.Impairment, wrap func(codec.Decoder) codec.Decoder) ([]int16, jitter.Stats) {
	t.Helper()
	model, err := link.NewModel(imp)
	if err != nil {
		t.Fatal(err)
	}
	type arrival struct {
		at time.Duration
		p  rtpPacket
	}
	var arrivals []arrival
	for i, p := range pkts {
		for _, at := range model.Fate(time.Duration(i) * 20 * time.Millisecond) {
			arrivals = append(arrivals, arrival{at, p})
		}
	}
	slices.SortStableFunc(arrivals, func(a, b arrival) int { return int(a.at - b.at) })

	dec, err := codec.NewDecoder(48000, 1)
	if err != nil {
		t.Fatal(err)
	}
	var d codec.Decoder = dec
	if wrap != nil {
		d = wrap(dec)
	}
	epoch := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	clk := clock.NewFake(epoch)
	buf, err := jitter.New(jitter.Config{Decoder: d, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	var out []int16
	pcm := make([]int16, 960)
	next := 0
	for k := 0; k < len(pkts); k++ {
		pullAt := time.Duration(k)*20*time.Millisecond + 7*time.Millisecond
		for ; next < len(arrivals) && arrivals[next].at <= pullAt; next++ {
			a := arrivals[next]
			clk.Set(epoch.Add(a.at))
			if err := buf.Push(a.p.seq, a.p.ts, clk.Now(), a.p.payload); err != nil {
				t.Fatal(err)
			}
		}
		clk.Set(epoch.Add(pullAt))
		if _, err := buf.Pull(pcm); err != nil {
			t.Fatal(err)
		}
		out = append(out, pcm...)
	}
	return out, buf.Stats()
}

// TestSpeechSurvivesALossyLink is the media path end to end: the speech
// fixture, the call's Opus encoder, RTP-like packets, an impaired link
// (loss, 10 ms mean queueing jitter, 1 % reordering, 1 % duplication), the
// jitter buffer and the decoder. It asserts intelligibility, delay and level
// thresholds, never bytes (arm64 encodes differently from amd64).
func TestSpeechSurvivesALossyLink(t *testing.T) {
	x := speech(t)
	cases := []struct {
		loss     float64
		minSTOI  float64
		baseline bool
	}{
		{0, 0.95, false},
		{0.05, 0.93, false},
		{0.10, 0.91, false},
		{0.20, 0.88, true},
	}
	for _, c := range cases {
		imp := link.Impairment{Loss: c.loss, Delay: 40 * time.Millisecond, Jitter: 10 * time.Millisecond,
			Reorder: 0.01, Duplicate: 0.01, Seed: 42}
		pkts := encode(t, x, c.loss*100)
		y, st := transmit(t, pkts, imp, nil)
		rep, err := quality.Compare(x, y, 48000, 500*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		concealed := float64(st.ConcealedSamples+st.FECSamples) / 960
		t.Logf("loss %2.0f%%: FEC+PLC %v; buffer %s", c.loss*100, rep, bufferSummary(st))
		if rep.STOI < c.minSTOI {
			t.Errorf("loss %v: STOI %.3f, want >= %.2f", c.loss, rep.STOI, c.minSTOI)
		}
		// Network 40 ms plus queueing, the jitter buffer (capped at 150 ms)
		// and the codec's 6.5 ms lookahead.
		if rep.Delay < 60*time.Millisecond || rep.Delay > 250*time.Millisecond {
			t.Errorf("loss %v: delay %v, want 60-250 ms", c.loss, rep.Delay)
		}
		if lvl := quality.DBFS(rep.DegRMS) - quality.DBFS(rep.RefRMS); lvl < -3 || lvl > 3 {
			t.Errorf("loss %v: level changed by %+.1f dB", c.loss, lvl)
		}
		if rep.Clipped > 10 {
			t.Errorf("loss %v: %d samples clipped", c.loss, rep.Clipped)
		}
		// What was concealed or recovered matches what the link lost.
		if lost := float64(st.PacketsLost); concealed < 0.8*lost || concealed > 1.5*lost+10 {
			t.Errorf("loss %v: %.0f frames concealed or recovered for %v lost", c.loss, concealed, lost)
		}
		if c.baseline {
			plc, _ := transmit(t, pkts, imp, func(d codec.Decoder) codec.Decoder { return plcOnly{d} })
			zero, _ := transmit(t, pkts, imp, func(d codec.Decoder) codec.Decoder { return silenceFill{d} })
			rp, _ := quality.Compare(x, plc, 48000, 500*time.Millisecond)
			rz, _ := quality.Compare(x, zero, 48000, 500*time.Millisecond)
			t.Logf("loss %2.0f%%: PLC only %v", c.loss*100, rp)
			t.Logf("loss %2.0f%%: silence fill %v", c.loss*100, rz)
			if !(rep.STOI > rp.STOI && rp.STOI > rz.STOI) {
				t.Errorf("loss %v: want FEC+PLC %.3f > PLC %.3f > silence %.3f", c.loss, rep.STOI, rp.STOI, rz.STOI)
			}
		}
	}
}

func bufferSummary(st jitter.Stats) string {
	return fmt.Sprintf("target %v, mean delay %v, lost %d, FEC frames %d, concealed frames %d, discarded %d, stretched -%d/+%d ms",
		st.TargetDelay, st.MeanDelay().Round(time.Millisecond), st.PacketsLost, st.FECSamples/960,
		st.ConcealedSamples/960, st.PacketsDiscarded, st.RemovedSamplesForAcceleration/48, st.InsertedSamplesForDeceleration/48)
}
