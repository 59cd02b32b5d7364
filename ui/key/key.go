// Package key is the handset's logical key set: what a key means to the UI,
// whatever the hardware calls it. A board maps its evdev codes onto these
// (a matrix keypad's KEY_NUMERIC_5 and a PC keyboard's KEY_5 are both
// Digit5), so screens never see a scancode.
package key

import "fmt"

// Key is one logical key. The zero value is None, which no board emits.
type Key uint8

// The keys a keypad handset has. Digits, Star and Hash are the twelve keys of
// the ITU E.161 keypad; the rest are the navigation and call keys around it.
const (
	None Key = iota

	Digit0
	Digit1
	Digit2
	Digit3
	Digit4
	Digit5
	Digit6
	Digit7
	Digit8
	Digit9
	Star // *
	Hash // #

	Up
	Down
	Left
	Right
	OK   // the centre select key
	Back // leave the screen or dialog

	Call // green key: dial, answer
	End  // red key: hang up, reject; on the home screen, lock

	SoftLeft  // the key under the left soft label
	SoftRight // the key under the right soft label
	Clear     // delete the last character typed

	VolumeUp
	VolumeDown
	Power

	count // number of keys; keep last
)

var names = [count]string{
	None:   "none",
	Digit0: "0", Digit1: "1", Digit2: "2", Digit3: "3", Digit4: "4",
	Digit5: "5", Digit6: "6", Digit7: "7", Digit8: "8", Digit9: "9",
	Star: "*", Hash: "#",
	Up: "up", Down: "down", Left: "left", Right: "right", OK: "ok", Back: "back",
	Call: "call", End: "end",
	SoftLeft: "soft-left", SoftRight: "soft-right", Clear: "clear",
	VolumeUp: "volume-up", VolumeDown: "volume-down", Power: "power",
}

// All returns every key a board may emit, in declaration order.
func All() []Key {
	ks := make([]Key, 0, count-1)
	for k := None + 1; k < count; k++ {
		ks = append(ks, k)
	}
	return ks
}

// String returns the key's stable name, as used in keymaps and logs.
func (k Key) String() string {
	if k < count {
		return names[k]
	}
	return fmt.Sprintf("key(%d)", uint8(k))
}

// Parse returns the Key named s (the String form), so a keymap can be
// written as text.
func Parse(s string) (Key, error) {
	for k := None + 1; k < count; k++ {
		if names[k] == s {
			return k, nil
		}
	}
	return None, fmt.Errorf("key: unknown key name %q", s)
}

// Digit reports the decimal value of a digit key and whether k is one.
func (k Key) Digit() (int, bool) {
	if k >= Digit0 && k <= Digit9 {
		return int(k - Digit0), true
	}
	return 0, false
}

// Char returns the character the key types on a dial pad (0-9, *, #), or 0.
func (k Key) Char() byte {
	switch {
	case k >= Digit0 && k <= Digit9:
		return byte('0' + (k - Digit0))
	case k == Star:
		return '*'
	case k == Hash:
		return '#'
	}
	return 0
}

// Repeats reports whether holding the key down should repeat it. Only keys
// whose repetition means "more of the same" repeat: moving and deleting.
// A held digit or call key must not type or dial twice.
func (k Key) Repeats() bool {
	switch k {
	case Up, Down, Left, Right, Clear, VolumeUp, VolumeDown:
		return true
	}
	return false
}
