package seal

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzOpen feeds arbitrary bytes to the frame parser and to Open: nothing may
// panic, a refusal is one of the package's errors, and only frames that really
// were sealed under the key open.
func FuzzOpen(f *testing.F) {
	prk := bytes.Repeat([]byte{7}, 48)
	cs, _, err := New(prk, true)
	if err != nil {
		f.Fatal(err)
	}
	for _, fr := range [][]byte{nil, []byte("opus"), make([]byte, 60)} {
		s, _ := cs.Seal(nil, fr, 0)
		f.Add(s)
	}
	f.Add([]byte{0x10, 0, 0, 0, 1})
	f.Add(make([]byte, Overhead))
	_, eo, err := New(prk, false)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		eo.win = window{} // every input is judged on its own
		h, body, err := ParseHeader(b)
		if err == nil {
			if h.Version != Version || len(body) != len(b)-HeaderLen || len(body) < TagLen {
				t.Fatalf("ParseHeader accepted %x as %+v with %d body bytes", b, h, len(body))
			}
		} else if !errors.Is(err, ErrMalformed) {
			t.Fatalf("ParseHeader error %v is not ErrMalformed", err)
		}
		got, _, err := eo.Open(nil, b)
		switch {
		case err == nil:
			// Only our own seeds can open; make sure what opened is theirs.
			cs2, _, _ := New(prk, true)
			for c := uint32(0); c <= h.Counter && c < 4; c++ {
				s, _ := cs2.Seal(nil, got, h.Flags)
				if c == h.Counter && bytes.Equal(s, b) {
					return
				}
			}
			t.Fatalf("forged frame opened: %x", b)
		case errors.Is(err, ErrMalformed), errors.Is(err, ErrAuth):
		default:
			t.Fatalf("Open error %v is neither ErrMalformed nor ErrAuth", err)
		}
	})
}

// FuzzSealOpen checks the round trip for arbitrary frames and flags.
func FuzzSealOpen(f *testing.F) {
	f.Add([]byte("frame"), byte(0))
	f.Add([]byte{}, byte(0xff))
	prk := bytes.Repeat([]byte{9}, 48)
	f.Fuzz(func(t *testing.T, frame []byte, flags byte) {
		cs, _, _ := New(prk, true)
		_, eo, _ := New(prk, false)
		s, err := cs.Seal(nil, frame, flags)
		if len(frame) > MaxFrame {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("oversize frame sealed: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		got, h, err := eo.Open(nil, s)
		if err != nil || !bytes.Equal(got, frame) || h.Flags != flags&flagMask {
			t.Fatalf("round trip: got %x flags %x err %v", got, h.Flags, err)
		}
	})
}
