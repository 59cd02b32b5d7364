package pid1

import (
	"errors"
	"fmt"

	"mehfooz/image/slot"
)

// ErrNoSlot is returned by BootSucceeded when the boot loader named no slot.
var ErrNoSlot = errors.New("pid1: booted without mehfooz.slot=; no slot to mark")

// BootSucceeded records in the boot-control partition that the slot this
// boot came from works: the boot loader stops counting its tries, and the
// anti-rollback floor rises to its version, so no older image boots again.
// Call it once phoned is healthy (screen drawn, modem answering), not
// before: a slot that never gets here is rolled back after its tries. On a
// board that is not PID1 it does nothing.
func (s *System) BootSucceeded() error {
	if !s.pid1 {
		return nil
	}
	name := s.Slot()
	if name == "" {
		return ErrNoSlot
	}
	i, err := slot.Index(name)
	if err != nil {
		return fmt.Errorf("pid1: %w", err)
	}
	path, err := s.board.Partition(s.root, s.board.Storage.BootCtl)
	if err != nil {
		return fmt.Errorf("pid1: boot state: %w", err)
	}
	dev, err := s.sys.OpenDevice(path)
	if err != nil {
		return fmt.Errorf("pid1: boot state: %w", err)
	}
	defer dev.Close()
	st := slot.NewStore(dev, dev.Sync)
	state, err := st.Load()
	if err != nil {
		return fmt.Errorf("pid1: boot state: %w", err)
	}
	sl := state.Slots[i]
	if sl.Priority == 0 || sl.Version < state.Floor {
		// The boot loader booted it, so this means the state changed under
		// us (a flash in progress?): do not resurrect the slot.
		return fmt.Errorf("pid1: slot %s is no longer bootable (priority %d, version %d, floor %d)", name, sl.Priority, sl.Version, state.Floor)
	}
	if sl.Successful && state.Floor >= sl.Version {
		return nil
	}
	state.MarkSuccessful(i)
	if err := st.Save(&state); err != nil {
		return fmt.Errorf("pid1: boot state: %w", err)
	}
	s.log.Info("boot slot marked successful", "slot", name, "version", sl.Version, "floor", state.Floor)
	return nil
}
