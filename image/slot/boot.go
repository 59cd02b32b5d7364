package slot

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"

	"mehfooz/image"
)

// Select is the boot loader's decision, for the QEMU harness (which acts
// as the boot loader) and as the reference for a handset's: choose a slot,
// save the spent try, then verify the slot's image (signature by one of
// keys, board, version against the floor and the recorded version, every
// part's hash). A slot that fails is made unbootable and the other is
// tried. It returns the slot, its verified manifest, and why any slot was
// refused.
func Select(st *Store, slots [2]io.ReaderAt, keys []ed25519.PublicKey, board string) (int, *image.Manifest, []error, error) {
	var refused []error
	for range 2 {
		s, err := st.Load()
		if err != nil {
			return 0, nil, refused, err
		}
		i, err := s.Choose()
		if err != nil {
			if len(refused) > 0 {
				err = fmt.Errorf("%w: %w", err, errors.Join(refused...))
			}
			return 0, nil, refused, err
		}
		if err := st.Save(&s); err != nil {
			return 0, nil, refused, err
		}
		m, err := VerifySlot(slots[i], keys, board, s.Floor)
		if err == nil && m.Version != s.Slots[i].Version {
			err = fmt.Errorf("%w: slot records version %d, image is %d", image.ErrTampered, s.Slots[i].Version, m.Version)
		}
		if err == nil {
			return i, m, refused, nil
		}
		refused = append(refused, fmt.Errorf("slot %s: %w", Name(i), err))
		s.Invalidate(i)
		if err := st.Save(&s); err != nil {
			return 0, nil, refused, err
		}
	}
	return 0, nil, refused, fmt.Errorf("%w: %w", ErrNoBootable, errors.Join(refused...))
}

// VerifySlot verifies the image held in a slot partition: signed by one of
// keys, for board, not older than floor, every part intact.
func VerifySlot(r io.ReaderAt, keys []ed25519.PublicKey, board string, floor uint64) (*image.Manifest, error) {
	h, err := image.ReadHeader(r)
	if err != nil {
		return nil, err
	}
	m, err := h.Verify(keys)
	if err != nil {
		return nil, err
	}
	if m.Board != board {
		return nil, fmt.Errorf("%w: image for %s, this is %s", image.ErrWrongBoard, m.Board, board)
	}
	if m.Version < floor {
		return nil, fmt.Errorf("%w: version %d is below the floor %d", image.ErrOlder, m.Version, floor)
	}
	if err := image.VerifyParts(r, -1, m); err != nil {
		return nil, err
	}
	return m, nil
}
