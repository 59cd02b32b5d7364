package slot

import (
	"errors"
	"fmt"
	"io"
)

// Device is the bootctl partition (a section of a disk image or a block
// device opened by cmd/).
type Device interface {
	io.ReaderAt
	io.WriterAt
}

// Store reads and writes the state on a Device. sync makes a write
// durable (fsync); nil skips it.
type Store struct {
	dev  Device
	sync func() error
}

// NewStore returns a Store on dev.
func NewStore(dev Device, sync func() error) *Store { return &Store{dev: dev, sync: sync} }

// Load returns the valid copy with the highest generation, or an error
// wrapping ErrNoState when neither copy is valid.
func (st *Store) Load() (State, error) {
	s, _, err := st.load()
	return s, err
}

func (st *Store) load() (State, int, error) {
	var best State
	which := -1
	var errs []error
	for i := range 2 {
		b := make([]byte, copySize)
		if _, err := st.dev.ReadAt(b, int64(i)*copyStride); err != nil {
			errs = append(errs, fmt.Errorf("copy %d: %w", i, err))
			continue
		}
		s, err := Decode(b)
		if err != nil {
			errs = append(errs, fmt.Errorf("copy %d: %w", i, err))
			continue
		}
		if which < 0 || s.Generation > best.Generation {
			best, which = s, i
		}
	}
	if which < 0 {
		return State{}, -1, fmt.Errorf("%w: %w", ErrNoState, errors.Join(errs...))
	}
	return best, which, nil
}

// Save writes s as the next generation over the older copy and syncs, then
// sets s.Generation to what was written.
func (st *Store) Save(s *State) error {
	cur, which, err := st.load()
	next := *s
	if err != nil {
		which = 1 // no valid copy: write copy 0
		next.Generation = max(next.Generation, 0) + 1
	} else {
		next.Generation = cur.Generation + 1
	}
	target := 1 - which
	if _, err := st.dev.WriteAt(next.Encode(), int64(target)*copyStride); err != nil {
		return fmt.Errorf("slot: save state: %w", err)
	}
	if st.sync != nil {
		if err := st.sync(); err != nil {
			return fmt.Errorf("slot: save state: sync: %w", err)
		}
	}
	s.Generation = next.Generation
	return nil
}

// Init writes a fresh state (both slots empty) over whatever was there.
func (st *Store) Init() (State, error) {
	if _, err := st.dev.WriteAt(make([]byte, copyStride+copySize), 0); err != nil {
		return State{}, fmt.Errorf("slot: init: %w", err)
	}
	s := State{}
	return s, st.Save(&s)
}
