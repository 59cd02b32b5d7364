// Package slot keeps the A/B boot state of a handset: for each of the two
// image slots a priority, a try counter, whether it has booted successfully,
// and the image version it holds; and for the device an anti-rollback
// version floor. The model is ChromeOS's and Android AVB's: the boot loader
// picks the bootable slot of highest priority and spends one try of a slot
// not yet proven; phoned marks the slot successful once it is healthy,
// which also raises the floor to that version so no older image boots
// again. A slot that runs out of tries without being marked is skipped,
// which rolls the device back to the other slot.
//
// The state is stored twice in the bootctl partition with a generation
// number and a CRC-32C; a write goes to the older copy, so a power cut
// mid-write leaves the newer one intact.
package slot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Slot indexes.
const (
	A = 0
	B = 1
)

// Name is "a" or "b", as the boot loader passes it (mehfooz.slot=).
func Name(i int) string { return string(rune('a' + i)) }

// Index parses "a" or "b".
func Index(name string) (int, error) {
	switch name {
	case "a":
		return A, nil
	case "b":
		return B, nil
	}
	return 0, fmt.Errorf("slot: unknown slot %q", name)
}

// Limits of the fields.
const (
	MaxPriority  = 15
	MaxTries     = 7
	DefaultTries = 3
)

// Slot is the state of one image slot.
type Slot struct {
	Priority   uint8 // 0: not bootable
	Tries      uint8 // boots left before the slot is given up, while not Successful
	Successful bool
	Version    uint64 // image version installed (its manifest's)
}

// State is the whole boot state.
type State struct {
	Generation uint64 // grows with every write; the higher valid copy wins
	Floor      uint64 // anti-rollback: no slot with a lower version boots
	Slots      [2]Slot
}

// Errors callers branch on.
var (
	ErrNoState    = errors.New("slot: no valid boot state")
	ErrNoBootable = errors.New("slot: no bootable slot")
)

// Bootable reports whether slot i may be tried.
func (s *State) Bootable(i int) bool {
	sl := s.Slots[i]
	return sl.Priority > 0 && (sl.Successful || sl.Tries > 0) && sl.Version >= s.Floor
}

// Choose is the boot loader's pick: the bootable slot of highest priority
// (A on a tie). A slot not yet successful spends one try. The caller saves
// the state before booting, so a boot that never comes back still counts.
func (s *State) Choose() (int, error) {
	best := -1
	for i := range s.Slots {
		if s.Bootable(i) && (best < 0 || s.Slots[i].Priority > s.Slots[best].Priority) {
			best = i
		}
	}
	if best < 0 {
		return 0, ErrNoBootable
	}
	if !s.Slots[best].Successful {
		s.Slots[best].Tries--
	}
	return best, nil
}

// Target is the slot an update is written to: never the slot that has
// proven good (so a failed update can roll back to it); otherwise the one
// of lower priority.
func (s *State) Target() int {
	good := func(i int) bool { return s.Bootable(i) && s.Slots[i].Successful }
	switch {
	case good(A) && good(B):
		if s.Slots[A].Priority >= s.Slots[B].Priority {
			return B
		}
		return A
	case good(A):
		return B
	case good(B):
		return A
	case s.Slots[B].Priority < s.Slots[A].Priority:
		return B
	}
	return A
}

// Invalidate makes slot i unbootable; done before its contents change.
func (s *State) Invalidate(i int) { s.Slots[i] = Slot{} }

// Install marks slot i as holding a new image of version: above the other
// slot in priority, with DefaultTries tries and not yet successful.
func (s *State) Install(i int, version uint64) {
	o := 1 - i
	p := s.Slots[o].Priority + 1
	if p > MaxPriority {
		s.Slots[o].Priority = MaxPriority - 1
		p = MaxPriority
	}
	s.Slots[i] = Slot{Priority: p, Tries: DefaultTries, Version: version}
}

// MarkSuccessful records that slot i booted and is healthy, and raises the
// floor to its version: from now on no older image boots.
func (s *State) MarkSuccessful(i int) {
	s.Slots[i].Successful = true
	s.Slots[i].Tries = 0
	s.Floor = max(s.Floor, s.Slots[i].Version)
}

// The stored form of one copy.
const (
	copySize   = 512
	copyStride = 4096 // copies sit in different 4 KiB pages: a torn page write spares the other
	crcOffset  = copySize - 4
	format     = 1
)

var magic = [8]byte{'M', 'Z', 'B', 'O', 'O', 'T', 'C', 'T'}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Encode returns one stored copy of s.
func (s *State) Encode() []byte {
	b := make([]byte, copySize)
	copy(b, magic[:])
	binary.LittleEndian.PutUint32(b[8:], format)
	binary.LittleEndian.PutUint64(b[16:], s.Generation)
	binary.LittleEndian.PutUint64(b[24:], s.Floor)
	for i, sl := range s.Slots {
		e := b[32+16*i:]
		e[0], e[1] = sl.Priority, sl.Tries
		if sl.Successful {
			e[2] = 1
		}
		binary.LittleEndian.PutUint64(e[8:], sl.Version)
	}
	binary.LittleEndian.PutUint32(b[crcOffset:], crc32.Checksum(b[:crcOffset], castagnoli))
	return b
}

// Decode parses one stored copy, checking its CRC and every field.
func Decode(b []byte) (State, error) {
	var s State
	if len(b) < copySize {
		return s, fmt.Errorf("%w: %d bytes", ErrNoState, len(b))
	}
	b = b[:copySize]
	if [8]byte(b[:8]) != magic {
		return s, fmt.Errorf("%w: no magic", ErrNoState)
	}
	if crc32.Checksum(b[:crcOffset], castagnoli) != binary.LittleEndian.Uint32(b[crcOffset:]) {
		return s, fmt.Errorf("%w: CRC mismatch", ErrNoState)
	}
	if f := binary.LittleEndian.Uint32(b[8:]); f != format {
		return s, fmt.Errorf("%w: format %d", ErrNoState, f)
	}
	for _, c := range b[12:16] {
		if c != 0 {
			return s, fmt.Errorf("%w: reserved bytes set", ErrNoState)
		}
	}
	s.Generation = binary.LittleEndian.Uint64(b[16:])
	s.Floor = binary.LittleEndian.Uint64(b[24:])
	for i := range s.Slots {
		e := b[32+16*i:]
		sl := Slot{Priority: e[0], Tries: e[1], Successful: e[2] == 1, Version: binary.LittleEndian.Uint64(e[8:])}
		if sl.Priority > MaxPriority || sl.Tries > MaxTries || e[2] > 1 || e[3] != 0 || binary.LittleEndian.Uint32(e[4:]) != 0 {
			return s, fmt.Errorf("%w: slot %s fields out of range", ErrNoState, Name(i))
		}
		s.Slots[i] = sl
	}
	for _, c := range b[64:crcOffset] {
		if c != 0 {
			return s, fmt.Errorf("%w: reserved bytes set", ErrNoState)
		}
	}
	return s, nil
}

func crcOf(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
