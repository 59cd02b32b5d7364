package input

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"slices"
	"testing"

	"mehfooz/ui/key"
)

// testdata/qemu-atkbd-sendkey.bin is the raw stream read from
// /dev/input/event0 ("AT Translated Set 2 keyboard") of the Debian 6.1 amd64
// kernel under QEMU 7.2, while the monitor sent, 0.7 s apart:
// sendkey down, up, ret, 5, kp_5, esc, backspace, f1, 1, 2, kp_enter, left,
// right, end. Each press and release came as EV_MSC/MSC_SCAN, EV_KEY and
// SYN_REPORT. docs/ui.md says how it was recorded.
func TestRecordedQEMUKeyboard(t *testing.T) {
	b, err := os.ReadFile("testdata/qemu-atkbd-sendkey.bin")
	if err != nil {
		t.Fatal(err)
	}
	// The PC keys a QEMU board maps (the board package owns the real map).
	km := Keymap{
		108: key.Down, 103: key.Up, 28: key.OK, 6: key.Digit5, 76: key.Digit5,
		1: key.Back, 14: key.Clear, 59: key.SoftLeft, 2: key.Digit1, 3: key.Digit2,
		96: key.OK, 105: key.Left, 106: key.Right, 107: key.End,
	}
	d := NewDecoderFor(bytes.NewReader(b), 8, binary.LittleEndian)
	tr := NewTranslator(km)
	var got []key.Key
	var types = map[uint16]int{}
	prev := int64(0)
	for {
		ev, err := d.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		types[ev.Type]++
		if ns := ev.Time.UnixNano(); ns < prev {
			t.Fatalf("timestamps went backwards at %+v", ev)
		} else {
			prev = ns
		}
		if k, ok := tr.Feed(ev); ok {
			got = append(got, k)
		}
	}
	want := []key.Key{key.Down, key.Up, key.OK, key.Digit5, key.Digit5, key.Back, key.Clear, key.SoftLeft,
		key.Digit1, key.Digit2, key.OK, key.Left, key.Right, key.End}
	if !slices.Equal(got, want) {
		t.Fatalf("keys = %v, want %v", got, want)
	}
	// 14 presses and 14 releases, each after its scan code and before its
	// report; the recording stopped at the last release, before its report.
	if types[EvKey] != 28 || types[EvSyn] != 27 || types[0x04] != 28 {
		t.Fatalf("event types %v, want 28 EV_KEY, 27 EV_SYN, 28 EV_MSC", types)
	}
}
