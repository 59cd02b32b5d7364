package seal

import (
	"bytes"
	"crypto/rand"
	"errors"
	mrand "math/rand/v2"
	"testing"
)

func pair(t testing.TB) (callerS *Sealer, callerO *Opener, calleeS *Sealer, calleeO *Opener) {
	t.Helper()
	prk := make([]byte, 48)
	if _, err := rand.Read(prk); err != nil {
		t.Fatal(err)
	}
	var err error
	if callerS, callerO, err = New(prk, true); err != nil {
		t.Fatal(err)
	}
	if calleeS, calleeO, err = New(prk, false); err != nil {
		t.Fatal(err)
	}
	return
}

func TestRoundTripBothDirections(t *testing.T) {
	cs, co, es, eo := pair(t)
	for i := range 300 { // past the window, so the window shifts many times
		f := bytes.Repeat([]byte{byte(i)}, 60)
		sealed, err := cs.Seal(nil, f, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(sealed) != len(f)+Overhead {
			t.Fatalf("sealed %d bytes, want %d", len(sealed), len(f)+Overhead)
		}
		got, h, err := eo.Open(nil, sealed)
		if err != nil || !bytes.Equal(got, f) || h.Counter != uint32(i) {
			t.Fatalf("frame %d: got %x counter %d err %v", i, got, h.Counter, err)
		}
		back, err := es.Seal(nil, f, FlagFiller)
		if err != nil {
			t.Fatal(err)
		}
		got, h, err = co.Open(nil, back)
		if err != nil || !bytes.Equal(got, f) || h.Flags != FlagFiller {
			t.Fatalf("reply %d: got %x flags %x err %v", i, got, h.Flags, err)
		}
	}
}

func TestReflectionAndOtherKeysFail(t *testing.T) {
	cs, co, _, _ := pair(t)
	sealed, _ := cs.Seal(nil, []byte("hello"), 0)
	if _, _, err := co.Open(nil, sealed); !errors.Is(err, ErrAuth) {
		t.Fatalf("own frame reflected back: err = %v, want ErrAuth", err)
	}
	_, _, _, otherO := pair(t)
	if _, _, err := otherO.Open(nil, sealed); !errors.Is(err, ErrAuth) {
		t.Fatalf("frame under another call's key: err = %v, want ErrAuth", err)
	}
}

func TestTamperedFramesFail(t *testing.T) {
	cs, _, _, eo := pair(t)
	sealed, _ := cs.Seal(nil, []byte("twenty bytes of opus"), 0)
	for i := range sealed {
		for _, bit := range []byte{0x01, 0x80} {
			b := bytes.Clone(sealed)
			b[i] ^= bit
			if _, _, err := eo.Open(nil, b); err == nil {
				t.Fatalf("flipping bit %#x of byte %d went unnoticed", bit, i)
			}
		}
	}
	// The untouched frame still opens: failures did not move the window.
	if _, _, err := eo.Open(nil, sealed); err != nil {
		t.Fatalf("genuine frame after forgeries: %v", err)
	}
}

func TestUnsealedPeerFails(t *testing.T) {
	_, _, _, eo := pair(t)
	// A peer without the inner layer sends bare Opus frames.
	raw := append([]byte{0x78}, make([]byte, 59)...)
	if _, _, err := eo.Open(nil, raw); !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrAuth) {
		t.Fatalf("bare Opus frame: err = %v", err)
	}
	raw[0] = Version << 4 // even one that happens to look like our version
	if _, _, err := eo.Open(nil, raw); !errors.Is(err, ErrAuth) {
		t.Fatalf("bare frame with a plausible header: err = %v, want ErrAuth", err)
	}
}

func TestReplayAndLate(t *testing.T) {
	cs, _, _, eo := pair(t)
	var frames [][]byte
	for range Window + 10 {
		b, _ := cs.Seal(nil, []byte("x"), 0)
		frames = append(frames, b)
	}
	// Deliver 10..Window+9 first, then the early ones arrive late.
	for _, f := range frames[10:] {
		if _, _, err := eo.Open(nil, f); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := eo.Open(nil, frames[20]); !errors.Is(err, ErrReplay) {
		t.Fatalf("duplicate: %v, want ErrReplay", err)
	}
	if _, _, err := eo.Open(nil, frames[9]); !errors.Is(err, ErrLate) {
		t.Fatalf("frame %d behind the top: %v, want ErrLate", Window, err)
	}
	// Top is Window+9; counter 10 is Window-1 behind: still inside, and it was
	// delivered, so it is a replay rather than late.
	if _, _, err := eo.Open(nil, frames[10]); !errors.Is(err, ErrReplay) {
		t.Fatalf("oldest frame inside the window again: %v, want ErrReplay", err)
	}
}

// TestWindowModel checks the bitmap window against a plain set under random
// reordering, duplication and jumps.
func TestWindowModel(t *testing.T) {
	rng := mrand.New(mrand.NewPCG(1, 2))
	var w window
	seen := map[uint32]bool{}
	var top uint32
	started := false
	for range 200000 {
		var c uint32
		switch rng.IntN(10) {
		case 0:
			c = top + uint32(rng.IntN(400)) // a jump forward
		case 1:
			c = top - uint32(rng.IntN(300)) // far back
		default:
			c = top + uint32(rng.IntN(8)) - 4
		}
		var want error
		switch {
		case !started || c > top:
		case top-c >= Window:
			want = ErrLate
		case seen[c]:
			want = ErrReplay
		}
		if got := w.check(c); got != want {
			t.Fatalf("counter %d (top %d): check = %v, want %v", c, top, got, want)
		}
		if want == nil {
			w.accept(c)
			seen[c] = true
			if !started || c > top {
				top, started = c, true
			}
		}
	}
}

func TestExhaustion(t *testing.T) {
	cs, _, _, eo := pair(t)
	cs.next = 0xffffffff
	last, err := cs.Seal(nil, []byte("last"), 0)
	if err != nil {
		t.Fatalf("last counter: %v", err)
	}
	if _, err := cs.Seal(nil, []byte("one too many"), 0); !errors.Is(err, ErrExhausted) {
		t.Fatalf("after the last counter: %v, want ErrExhausted", err)
	}
	if _, h, err := eo.Open(nil, last); err != nil || h.Counter != 0xffffffff {
		t.Fatalf("open last: counter %d err %v", h.Counter, err)
	}
}

func TestSizeLimits(t *testing.T) {
	cs, _, _, eo := pair(t)
	if _, err := cs.Seal(nil, make([]byte, MaxFrame+1), 0); !errors.Is(err, ErrMalformed) {
		t.Fatalf("oversize frame: %v", err)
	}
	for _, n := range []int{0, 1, Overhead - 1, MaxFrame + Overhead + 1} {
		if _, _, err := eo.Open(nil, make([]byte, n)); !errors.Is(err, ErrMalformed) {
			t.Fatalf("open of %d bytes: %v, want ErrMalformed", n, err)
		}
	}
	empty, _ := cs.Seal(nil, nil, 0)
	if got, _, err := eo.Open(nil, empty); err != nil || len(got) != 0 {
		t.Fatalf("empty frame: %q %v", got, err)
	}
}

func TestErase(t *testing.T) {
	cs, co, _, _ := pair(t)
	if cs.Erased() || co.Erased() {
		t.Fatal("fresh keys report erased")
	}
	if err := cs.Erase(); err != nil {
		t.Fatal(err)
	}
	if err := co.Erase(); err != nil {
		t.Fatal(err)
	}
	if !cs.Erased() || !co.Erased() {
		t.Fatal("keys not all zero after Erase")
	}
	if _, err := cs.Seal(nil, []byte("x"), 0); !errors.Is(err, ErrErased) {
		t.Fatalf("Seal after Erase: %v", err)
	}
	if _, _, err := co.Open(nil, make([]byte, 40)); !errors.Is(err, ErrErased) && !errors.Is(err, ErrMalformed) {
		t.Fatalf("Open after Erase: %v", err)
	}
}

func TestShortKey(t *testing.T) {
	if _, _, err := New(make([]byte, 32), true); err == nil {
		t.Fatal("a 32-byte pseudorandom key was accepted")
	}
}

func BenchmarkSealOpen(b *testing.B) {
	cs, _, _, eo := pair(b)
	frame := make([]byte, 60) // 24 kbit/s CBR Opus, 20 ms
	buf := make([]byte, 0, 128)
	out := make([]byte, 0, 128)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		sealed, err := cs.Seal(buf[:0], frame, 0)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := eo.Open(out[:0], sealed); err != nil {
			b.Fatal(err)
		}
	}
}
