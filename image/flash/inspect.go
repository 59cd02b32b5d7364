package flash

import (
	"crypto/ed25519"
	"fmt"

	"mehfooz/image"
	"mehfooz/image/disk"
	"mehfooz/image/slot"
)

// Report is what a device holds.
type Report struct {
	Layout disk.Layout
	State  slot.State
	Slots  [2]SlotReport
}

// SlotReport is one slot: its verified manifest, or why it did not verify.
type SlotReport struct {
	Manifest *image.Manifest
	Err      error
	Bootable bool
}

// Inspect reads a device's layout and boot state and verifies both slots
// against keys and board, writing nothing.
func Inspect(t Target, keys []ed25519.PublicKey, board string) (*Report, error) {
	l, err := disk.Read(t.Dev, t.Size)
	if err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	store, slots, err := open(t, l)
	if err != nil {
		return nil, err
	}
	st, err := store.Load()
	if err != nil {
		return nil, fmt.Errorf("inspect: %w", err)
	}
	r := &Report{Layout: l, State: st}
	for i := range slots {
		r.Slots[i].Bootable = st.Bootable(i)
		if st.Slots[i].Priority == 0 && st.Slots[i].Version == 0 {
			r.Slots[i].Err = fmt.Errorf("empty")
			continue
		}
		r.Slots[i].Manifest, r.Slots[i].Err = slot.VerifySlot(slots[i], keys, board, st.Floor)
	}
	return r, nil
}
