package stream

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/voice/audio"
	"mehfooz/voice/codec"
	"mehfooz/voice/quality"
)

var epoch = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// recorder is a sink that keeps what it is given.
type recorder struct {
	mu  sync.Mutex
	pcm []int16
}

func (r *recorder) Format() audio.Format { return audio.Voice }
func (r *recorder) WriteFrame(p []int16) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pcm = append(r.pcm, p...)
	return nil
}
func (r *recorder) Close() error { return nil }

func speechSource(t *testing.T) (audio.Source, []int16) {
	t.Helper()
	f, err := os.Open("../audio/testdata/speech48k.wav")
	if err != nil {
		t.Fatal(err)
	}
	_, ref, err := audio.ReadWAV(f, 1<<21)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	f, _ = os.Open("../audio/testdata/speech48k.wav")
	src, err := audio.NewWAVSource(f, 20*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	return src, ref
}

// TestLoopbackCall runs the pipeline as a call does, in simulated time: a
// paced WAV source feeds ReadFrame, a loop hands each packet straight to
// Push (a perfect network), and playout runs on its own goroutine into a
// paced sink. The speech must come out intact.
func TestLoopbackCall(t *testing.T) {
	checkGoroutines(t)
	clk := clock.NewFake(epoch)
	wav, ref := speechSource(t)
	rec := &recorder{}
	s, err := Open(Config{
		Source: audio.PaceSource(wav, clk, 0),
		Sink:   audio.PaceSink(rec, clk, 0),
		Codec:  codec.Call,
		Clock:  clk,
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	if !clk.BlockUntil(1, done) { // playout waits for its second frame
		t.Fatal("playout never waited on the sink")
	}
	clk.Advance(7 * time.Millisecond) // capture starts out of phase with playout

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var sendErr error
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		buf := make([]byte, codec.MaxPacket)
		for i := uint32(0); ; i++ {
			n, err := s.ReadFrame(ctx, buf)
			if err != nil {
				sendErr = err
				return
			}
			s.Push(uint16(i), i*960, clk.Now(), buf[:n])
		}
	}()
	// Both loops wait on the clock until capture reaches the end of the file.
	for clk.BlockUntil(2, sent) {
		clk.Advance(time.Millisecond)
	}
	<-sent
	if !errors.Is(sendErr, io.EOF) {
		t.Fatalf("capture ended with %v, want the end of the file", sendErr)
	}
	for range 300 { // let playout drain
		clk.BlockUntil(1, done)
		clk.Advance(time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	st := s.Stats()
	rec.mu.Lock()
	out := rec.pcm
	rec.mu.Unlock()
	rep, err := quality.Compare(ref, out, 48000, 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loopback: %v; captured %d, played %d frames, jitter buffer delay %v", rep, st.Captured, st.Played, st.Jitter.MeanDelay())
	if rep.STOI < 0.95 {
		t.Errorf("STOI %.3f through the pipeline, want >= 0.95", rep.STOI)
	}
	// Capture phase (7 ms) + codec lookahead (6.5 ms) + jitter buffer (about
	// 45-60 ms) + one sink frame.
	if rep.Delay < 40*time.Millisecond || rep.Delay > 120*time.Millisecond {
		t.Errorf("delay %v, want 40-120 ms", rep.Delay)
	}
	// 10.0 s is 500 frames and a padded last one. The only concealment is
	// after the last packet, when playout runs dry and fades.
	if st.Captured != 501 || st.Jitter.ConcealmentEvents > 1 || st.Jitter.PacketsLost != 0 {
		t.Errorf("stats %+v", st)
	}
}

// blocking is a source that blocks until closed, like a silent microphone.
type blocking struct {
	once   sync.Once
	closed chan struct{}
}

func (b *blocking) Format() audio.Format { return audio.Voice }
func (b *blocking) ReadFrame([]int16) error {
	<-b.closed
	return audio.ErrClosed
}
func (b *blocking) Close() error { b.once.Do(func() { close(b.closed) }); return nil }

func TestReadFrameReturnsWhenTheCallEnds(t *testing.T) {
	checkGoroutines(t)
	clk := clock.NewFake(epoch)
	src := &blocking{closed: make(chan struct{})}
	s, err := Open(Config{Source: src, Sink: audio.PaceSink(&recorder{}, clk, 0), Codec: codec.Call, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() {
		_, err := s.ReadFrame(ctx, make([]byte, codec.MaxPacket))
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadFrame after cancel = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

func TestOpenChecksFormats(t *testing.T) {
	clk := clock.NewFake(epoch)
	sink := audio.PaceSink(&recorder{}, clk, 0)
	tone, _ := audio.NewTone(audio.Format{Rate: 16000, Channels: 1, FrameSamples: 320}, 440, 0.5)
	if _, err := Open(Config{Source: tone, Sink: sink, Codec: codec.Call}); err == nil {
		t.Fatal("opened a 16 kHz source with a 48 kHz codec")
	}
	if _, err := Open(Config{Sink: sink, Codec: codec.Call}); err == nil {
		t.Fatal("opened without a source")
	}
}

func TestSetPacketLoss(t *testing.T) {
	checkGoroutines(t)
	clk := clock.NewFake(epoch)
	s, err := Open(Config{Source: &audio.Null{F: audio.Voice}, Sink: audio.PaceSink(&recorder{}, clk, 0), Codec: codec.Call, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The call's stats loop finds the method by this interface.
	var l interface{ SetPacketLoss(int) } = s
	l.SetPacketLoss(8)
	if got := s.enc.PacketLoss(); got != codec.PacketLossSetting(8) {
		t.Fatalf("encoder expects %d%% loss, want %d", got, codec.PacketLossSetting(8))
	}
}
