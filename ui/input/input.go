// Package input reads key presses from a Linux evdev device
// (/dev/input/eventN) and turns them into the handset's logical keys through
// a keymap the board supplies. It takes a file the caller opened; it never
// opens a device path itself.
//
// The wire format is struct input_event from <linux/input.h>: a timestamp of
// two C longs (seconds, microseconds), then type (u16), code (u16) and value
// (s32), in the machine's byte order. It is 24 bytes on 64-bit boards and 16
// on 32-bit ones.
package input

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
	"unsafe"

	"mehfooz/ui/key"
)

// Event types and codes used here (<linux/input-event-codes.h>).
const (
	EvSyn = 0x00
	EvKey = 0x01

	SynReport  = 0 // end of a batch of events
	SynDropped = 3 // the kernel's buffer overflowed: events were lost

	valueRelease = 0
	valuePress   = 1
	valueRepeat  = 2
)

// WordSize is the size of a C long on this machine, which sets the event
// record size (2*WordSize + 8).
const WordSize = int(unsafe.Sizeof(uintptr(0)))

// ErrShortEvent is returned when a stream ends inside an event record.
var ErrShortEvent = errors.New("input: truncated event")

// Event is one input_event.
type Event struct {
	Time  time.Time
	Type  uint16
	Code  uint16
	Value int32
}

// EventSize returns the record size for a C long of wordSize bytes.
func EventSize(wordSize int) int { return 2*wordSize + 8 }

// Decode decodes one event record of a machine whose C long is wordSize
// (4 or 8) bytes, in byte order bo. b must hold at least EventSize bytes.
func Decode(b []byte, wordSize int, bo binary.ByteOrder) (Event, error) {
	if wordSize != 4 && wordSize != 8 {
		return Event{}, fmt.Errorf("input: word size %d, want 4 or 8", wordSize)
	}
	if len(b) < EventSize(wordSize) {
		return Event{}, fmt.Errorf("%w: %d of %d bytes", ErrShortEvent, len(b), EventSize(wordSize))
	}
	var sec, usec int64
	if wordSize == 8 {
		sec, usec = int64(bo.Uint64(b)), int64(bo.Uint64(b[8:]))
	} else {
		sec, usec = int64(bo.Uint32(b)), int64(bo.Uint32(b[4:]))
	}
	t := b[2*wordSize:]
	return Event{
		Time:  time.Unix(sec, usec*1000),
		Type:  bo.Uint16(t),
		Code:  bo.Uint16(t[2:]),
		Value: int32(bo.Uint32(t[4:])),
	}, nil
}

// Decoder reads events from a byte stream.
type Decoder struct {
	r        io.Reader
	wordSize int
	bo       binary.ByteOrder
	buf      []byte
}

// NewDecoder returns a decoder for this machine's event records.
func NewDecoder(r io.Reader) *Decoder { return NewDecoderFor(r, WordSize, binary.NativeEndian) }

// NewDecoderFor returns a decoder for records of another machine (for
// recorded streams).
func NewDecoderFor(r io.Reader, wordSize int, bo binary.ByteOrder) *Decoder {
	return &Decoder{r: r, wordSize: wordSize, bo: bo, buf: make([]byte, EventSize(wordSize))}
}

// Next returns the next event. At the clean end of the stream it returns
// io.EOF; a stream that ends inside a record gives ErrShortEvent.
func (d *Decoder) Next() (Event, error) {
	n, err := io.ReadFull(d.r, d.buf)
	switch {
	case err == io.EOF:
		return Event{}, io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Event{}, fmt.Errorf("%w: stream ended %d bytes into a record", ErrShortEvent, n)
	case err != nil:
		return Event{}, fmt.Errorf("input: read: %w", err)
	}
	return Decode(d.buf, d.wordSize, d.bo)
}

// Keymap maps evdev key codes (KEY_* in <linux/input-event-codes.h>) to
// logical keys. Boards define theirs; codes not in it are ignored.
type Keymap map[uint16]key.Key

// ParseKeymap builds a Keymap from key names (key.Key's String form: "0"
// to "9", "*", "#", "up", "ok", "call", "end", "soft-left", ...), the way a
// board writes its map. An unknown name is an error, so a typo in a board
// profile fails at start-up instead of leaving a key dead.
func ParseKeymap(names map[uint16]string) (Keymap, error) {
	km := make(Keymap, len(names))
	for code, name := range names {
		k, err := key.Parse(name)
		if err != nil {
			return nil, fmt.Errorf("input: keymap code %d: %w", code, err)
		}
		km[code] = k
	}
	return km, nil
}

// Translator turns an event stream into key presses.
type Translator struct {
	km       Keymap
	dropping bool
}

// NewTranslator returns a translator using keymap km.
func NewTranslator(km Keymap) *Translator { return &Translator{km: km} }

// Feed takes one event and returns the key it presses, if any. A press
// gives its key; autorepeat gives it again only for keys that repeat
// (key.Key.Repeats); releases give nothing. After SYN_DROPPED everything up
// to the next SYN_REPORT is discarded, as the evdev documentation requires,
// so a lost release can never turn into a phantom press.
func (t *Translator) Feed(ev Event) (key.Key, bool) {
	if ev.Type == EvSyn {
		switch ev.Code {
		case SynDropped:
			t.dropping = true
		case SynReport:
			t.dropping = false
		}
		return key.None, false
	}
	if t.dropping || ev.Type != EvKey {
		return key.None, false
	}
	k, ok := t.km[ev.Code]
	if !ok || k == key.None {
		return key.None, false
	}
	switch ev.Value {
	case valuePress:
		return k, true
	case valueRepeat:
		return k, k.Repeats()
	}
	return key.None, false
}
