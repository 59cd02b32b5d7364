package input

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"slices"
	"testing"
	"time"

	"mehfooz/ui/key"
)

// appendEvent encodes ev as a record of a machine with the given word size.
func appendEvent(b []byte, ev Event, wordSize int, bo binary.AppendByteOrder) []byte {
	sec, usec := ev.Time.Unix(), int64(ev.Time.Nanosecond()/1000)
	if wordSize == 8 {
		b = bo.AppendUint64(b, uint64(sec))
		b = bo.AppendUint64(b, uint64(usec))
	} else {
		b = bo.AppendUint32(b, uint32(sec))
		b = bo.AppendUint32(b, uint32(usec))
	}
	b = bo.AppendUint16(b, ev.Type)
	b = bo.AppendUint16(b, ev.Code)
	return bo.AppendUint32(b, uint32(ev.Value))
}

func TestDecodeLayouts(t *testing.T) {
	ev := Event{Time: time.Unix(1700000000, 123456000), Type: EvKey, Code: 108, Value: 1}
	for _, tc := range []struct {
		word int
		bo   interface {
			binary.ByteOrder
			binary.AppendByteOrder
		}
	}{{8, binary.LittleEndian}, {4, binary.LittleEndian}, {8, binary.BigEndian}} {
		b := appendEvent(nil, ev, tc.word, tc.bo)
		if len(b) != EventSize(tc.word) {
			t.Fatalf("record is %d bytes, want %d", len(b), EventSize(tc.word))
		}
		got, err := Decode(b, tc.word, tc.bo)
		if err != nil || !got.Time.Equal(ev.Time) || got.Type != ev.Type || got.Code != ev.Code || got.Value != ev.Value {
			t.Fatalf("word %d %v: Decode = %+v, %v; want %+v", tc.word, tc.bo, got, err, ev)
		}
	}
	if _, err := Decode(make([]byte, 23), 8, binary.LittleEndian); !errors.Is(err, ErrShortEvent) {
		t.Fatalf("23 bytes: %v, want ErrShortEvent", err)
	}
	if _, err := Decode(make([]byte, 24), 6, binary.LittleEndian); err == nil {
		t.Fatal("word size 6 accepted")
	}
	if EventSize(WordSize) != 24 && EventSize(WordSize) != 16 {
		t.Fatalf("native event size %d", EventSize(WordSize))
	}
}

func TestDecoderStream(t *testing.T) {
	evs := []Event{
		{Time: time.Unix(5, 0), Type: EvKey, Code: 2, Value: 1},
		{Time: time.Unix(5, 0), Type: EvSyn, Code: SynReport},
		{Time: time.Unix(5, 90000), Type: EvKey, Code: 2, Value: 0},
	}
	var b []byte
	for _, ev := range evs {
		b = appendEvent(b, ev, 8, binary.LittleEndian)
	}
	d := NewDecoderFor(bytes.NewReader(b), 8, binary.LittleEndian)
	for i, want := range evs {
		got, err := d.Next()
		if err != nil || got.Code != want.Code || got.Value != want.Value || !got.Time.Equal(want.Time) {
			t.Fatalf("event %d = %+v, %v; want %+v", i, got, err, want)
		}
	}
	if _, err := d.Next(); err != io.EOF {
		t.Fatalf("at the end: %v, want io.EOF", err)
	}
	short := NewDecoderFor(bytes.NewReader(b[:30]), 8, binary.LittleEndian)
	short.Next()
	if _, err := short.Next(); !errors.Is(err, ErrShortEvent) {
		t.Fatalf("truncated stream: %v, want ErrShortEvent", err)
	}
}

var testKeymap = Keymap{
	2:   key.Digit1, // KEY_1
	108: key.Down,   // KEY_DOWN
	28:  key.OK,     // KEY_ENTER
	231: key.Call,   // KEY_SEND
	30:  key.None,   // mapped to nothing: ignored
}

func TestTranslator(t *testing.T) {
	press := func(code uint16, v int32) Event { return Event{Type: EvKey, Code: code, Value: v} }
	syn := func(code uint16) Event { return Event{Type: EvSyn, Code: code} }
	stream := []Event{
		press(2, 1), syn(SynReport), // 1 pressed
		press(2, 2), syn(SynReport), // held: digits do not repeat
		press(2, 0), syn(SynReport),
		press(108, 1), press(108, 2), press(108, 2), press(108, 0), // down, repeating
		press(99, 1), press(30, 1), // unmapped codes
		{Type: 0x02, Code: 0, Value: 1},                              // EV_REL: not a key
		syn(SynDropped), press(28, 1), press(231, 1), syn(SynReport), // lost batch
		press(231, 1), syn(SynReport),
	}
	tr := NewTranslator(testKeymap)
	var got []key.Key
	for _, ev := range stream {
		if k, ok := tr.Feed(ev); ok {
			got = append(got, k)
		}
	}
	want := []key.Key{key.Digit1, key.Down, key.Down, key.Down, key.Call}
	if !slices.Equal(got, want) {
		t.Fatalf("keys = %v, want %v", got, want)
	}
}

func TestParseKeymap(t *testing.T) {
	// The names a board profile writes: every logical key's String form.
	names := map[uint16]string{}
	for i, k := range key.All() {
		names[uint16(0x200+i)] = k.String()
	}
	km, err := ParseKeymap(names)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range key.All() {
		if km[uint16(0x200+i)] != k {
			t.Fatalf("code %#x maps to %v, want %v", 0x200+i, km[uint16(0x200+i)], k)
		}
	}
	if _, err := ParseKeymap(map[uint16]string{28: "ok", 1: "escape"}); err == nil {
		t.Fatal("an unknown key name was accepted")
	}
}

func FuzzDecoder(f *testing.F) {
	f.Add(appendEvent(nil, Event{Time: time.Unix(1, 2000), Type: EvKey, Code: 108, Value: 1}, 8, binary.LittleEndian), 8)
	f.Add(appendEvent(nil, Event{Type: EvSyn, Code: SynDropped}, 4, binary.LittleEndian), 4)
	f.Add([]byte{0xff, 0xff, 0xff}, 8)
	if rec, err := os.ReadFile("testdata/qemu-atkbd-sendkey.bin"); err == nil {
		f.Add(rec, 8)
	}
	f.Fuzz(func(t *testing.T, b []byte, word int) {
		if word != 4 {
			word = 8
		}
		size := EventSize(word)
		d := NewDecoderFor(bytes.NewReader(b), word, binary.LittleEndian)
		tr := NewTranslator(testKeymap)
		n := 0
		for {
			ev, err := d.Next()
			if err == io.EOF {
				if len(b)%size != 0 {
					t.Fatalf("clean EOF with %d stray bytes", len(b)%size)
				}
				break
			}
			if err != nil {
				if !errors.Is(err, ErrShortEvent) || len(b)%size == 0 {
					t.Fatalf("error %v on %d bytes (record %d)", err, len(b), size)
				}
				break
			}
			rec := b[n*size : (n+1)*size]
			tail := rec[2*word:]
			if ev.Type != binary.LittleEndian.Uint16(tail) || ev.Code != binary.LittleEndian.Uint16(tail[2:]) ||
				ev.Value != int32(binary.LittleEndian.Uint32(tail[4:])) {
				t.Fatalf("event %d = %+v, does not match its bytes % x", n, ev, rec)
			}
			if k, ok := tr.Feed(ev); ok && (k == key.None || ev.Type != EvKey || ev.Value == 0) {
				t.Fatalf("event %+v produced key %v", ev, k)
			}
			n++
		}
		if n != len(b)/size {
			t.Fatalf("decoded %d events from %d bytes, want %d", n, len(b), len(b)/size)
		}
	})
}
