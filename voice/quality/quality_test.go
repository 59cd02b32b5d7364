package quality

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"mehfooz/voice/audio"
)

const rate = 48000

// speech is the first 5 s of the speech fixture: enough for every measure,
// and half the cost under the race detector.
func speech(tb testing.TB) []int16 {
	tb.Helper()
	return fullSpeech(tb)[:5*rate]
}

func fullSpeech(tb testing.TB) []int16 {
	tb.Helper()
	f, err := os.Open("../audio/testdata/speech48k.wav")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	format, pcm, err := audio.ReadWAV(f, 1<<21)
	if err != nil {
		tb.Fatal(err)
	}
	if format.Rate != rate || format.Channels != 1 {
		tb.Fatalf("fixture is %v", format)
	}
	return pcm
}

// addNoise returns x plus white noise at the given SNR over the whole signal.
func addNoise(x []int16, snrDB float64, seed uint64) []int16 {
	r := rand.New(rand.NewPCG(seed, 1))
	p := RMS(x) * 32768 / math.Pow(10, snrDB/20)
	y := make([]int16, len(x))
	for i, v := range x {
		y[i] = sat(float64(v) + r.NormFloat64()*p)
	}
	return y
}

func sat(v float64) int16 { return int16(max(min(math.Round(v), 32767), -32768)) }

func TestSTOIIdentityIsOne(t *testing.T) {
	x := speech(t)
	got, err := STOI(x, x, rate)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(got-1) > 1e-9 {
		t.Fatalf("STOI(x, x) = %v, want 1", got)
	}
	// A gain change alone does not hurt intelligibility: STOI normalises energy.
	half := make([]int16, len(x))
	for i, v := range x {
		half[i] = v / 2
	}
	if got, _ := STOI(x, half, rate); got < 0.999 {
		t.Fatalf("STOI of a 6 dB quieter copy = %.4f, want about 1", got)
	}
}

func TestSTOIFallsWithNoise(t *testing.T) {
	x := speech(t)
	prev := 1.0
	for _, snr := range []float64{30, 20, 10, 5, 0, -5, -10, -15} {
		got, err := STOI(x, addNoise(x, snr, 1), rate)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("SNR %+3.0f dB: STOI %.3f", snr, got)
		if got >= prev {
			t.Fatalf("STOI at %v dB SNR = %.3f, not below %.3f at the SNR before", snr, got, prev)
		}
		prev = got
	}
	if prev > 0.75 {
		t.Fatalf("STOI at -15 dB SNR (white over 24 kHz) = %.3f, want well below clean", prev)
	}
}

func TestSTOIOfUnrelatedNoiseIsLow(t *testing.T) {
	x := speech(t)
	r := rand.New(rand.NewPCG(7, 7))
	noise := make([]int16, len(x))
	for i := range noise {
		noise[i] = sat(r.NormFloat64() * 3000)
	}
	got, err := STOI(x, noise, rate)
	if err != nil {
		t.Fatal(err)
	}
	if got > 0.6 {
		t.Fatalf("STOI of unrelated noise = %.3f, want < 0.6", got)
	}
	// Speech against a different stretch of the same speech is also low.
	shifted := x[rate/2:]
	if got, _ := STOI(x[:len(shifted)], shifted, rate); got > 0.7 {
		t.Fatalf("STOI of misaligned speech = %.3f, want < 0.7", got)
	}
}

func TestSTOIZeroedFramesHurtInProportion(t *testing.T) {
	x := speech(t)
	prev := 1.0
	for _, every := range []int{10, 5, 3} { // zero one 20 ms frame in every n
		y := append([]int16(nil), x...)
		for f := 0; (f+1)*960 <= len(y); f++ {
			if f%every == 0 {
				clear(y[f*960 : (f+1)*960])
			}
		}
		got, _ := STOI(x, y, rate)
		t.Logf("1 frame in %d zeroed: STOI %.3f", every, got)
		if got >= prev {
			t.Fatalf("zeroing 1 in %d scored %.3f, not below %.3f", every, got, prev)
		}
		prev = got
	}
}

func TestSTOITooShort(t *testing.T) {
	x := speech(t)[:rate/4]
	if _, err := STOI(x, x, rate); !errors.Is(err, ErrTooShort) {
		t.Fatalf("STOI of 250 ms = %v, want ErrTooShort", err)
	}
}

func TestDelayFindsShift(t *testing.T) {
	x := speech(t)
	for _, lag := range []int{0, 1, 311, 4800, 12345} {
		y := make([]int16, len(x))
		copy(y[lag:], x)
		got, corr := Delay(x, addNoise(y, 20, 3), rate, rate/2)
		if got != lag {
			t.Fatalf("Delay = %d samples, want %d", got, lag)
		}
		if corr < 0.98 {
			t.Fatalf("corr %.3f at the true lag, want near 1", corr)
		}
	}
	// A signal that leads (negative delay) is found too.
	got, _ := Delay(x[500:], x, rate, rate/10)
	if got != 500 {
		t.Fatalf("Delay = %d, want 500", got)
	}
	got, _ = Delay(x, x[500:], rate, rate/10)
	if got != -500 {
		t.Fatalf("Delay = %d, want -500", got)
	}
}

func TestLSD(t *testing.T) {
	x := speech(t)
	if d, err := LSD(x, x, rate); err != nil || d > 1e-9 {
		t.Fatalf("LSD(x, x) = %v, %v; want 0", d, err)
	}
	prev := 0.0
	for _, snr := range []float64{30, 15, 0} {
		d, err := LSD(x, addNoise(x, snr, 5), rate)
		if err != nil {
			t.Fatal(err)
		}
		if d <= prev {
			t.Fatalf("LSD at %v dB SNR = %.2f, not above %.2f", snr, d, prev)
		}
		prev = d
	}
}

func TestLevel(t *testing.T) {
	sq := []int16{32767, -32768, 32767, -32768}
	if got := RMS(sq); math.Abs(got-1) > 1e-4 {
		t.Fatalf("RMS of a full-scale square = %v", got)
	}
	if Clipped(sq) != 4 || Clipped([]int16{0, 100}) != 0 {
		t.Fatal("Clipped miscounts")
	}
	if RMS(nil) != 0 {
		t.Fatal("RMS(nil) != 0")
	}
	if got := DBFS(0.5); math.Abs(got+6.0206) > 1e-3 {
		t.Fatalf("DBFS(0.5) = %v", got)
	}
}

func TestCompareAlignsAndScores(t *testing.T) {
	x := speech(t)
	y := make([]int16, len(x)+2400)
	copy(y[2400:], x) // 50 ms late
	rep, err := Compare(x, y, rate, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Delay != 50*time.Millisecond || rep.STOI < 0.999 || rep.LSD > 0.01 {
		t.Fatalf("report %v, want 50 ms and a perfect score", rep)
	}
}

func BenchmarkSTOI(b *testing.B) {
	x := fullSpeech(b)
	y := addNoise(x, 10, 1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := STOI(x, y, rate); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(x))/rate, "s-audio")
}

func BenchmarkDelay(b *testing.B) {
	x := fullSpeech(b)
	y := make([]int16, len(x))
	copy(y[1234:], x)
	for b.Loop() {
		Delay(x, y, rate, rate/4)
	}
}

// TestCompareFollowsDelayChanges: the received speech is 20 ms late for
// the first half and 35 ms late after (a jitter buffer inserted 15 ms);
// Compare must follow the change instead of scoring misaligned speech.
func TestCompareFollowsDelayChanges(t *testing.T) {
	x := fullSpeech(t)
	half := len(x) / 2
	d1, d2 := 20*rate/1000, 35*rate/1000
	y := make([]int16, len(x)+d2)
	copy(y[d1:], x[:half])
	copy(y[half+d2:], x[half:])
	rep, err := Compare(x, y, rate, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if rep.STOI < 0.99 || rep.DelayMin != 20*time.Millisecond || rep.DelayMax != 35*time.Millisecond {
		t.Fatalf("report %v: want STOI near 1 and delay 20-35 ms", rep)
	}
	fixed, _ := STOI(x[:len(x)-d2], y[d1:len(x)-d2+d1], rate)
	if fixed > rep.STOI-0.02 {
		t.Fatalf("single-lag STOI %.3f is as good as the re-aligned %.3f: the test shows nothing", fixed, rep.STOI)
	}
}
