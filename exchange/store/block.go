package store

import (
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Block is a device the exchange refuses on its own authority, before a
// signed revocation list names it: a handset that revoked itself under
// duress. Only a technician lifts it (after re-enrollment).
type Block struct {
	ID     string    `json:"id"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// PutBlock blocks a device.
func (s *Store) PutBlock(b Block) error {
	if err := s.db.Update(func(tx *bbolt.Tx) error { return put(tx, bucketBlocks, b.ID, b) }); err != nil {
		return fmt.Errorf("store: block %s: %w", b.ID, err)
	}
	return nil
}

// DeleteBlock lifts a block; lifting none is not an error.
func (s *Store) DeleteBlock(id string) error {
	if err := s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketBlocks).Delete([]byte(id)) }); err != nil {
		return fmt.Errorf("store: unblock %s: %w", id, err)
	}
	return nil
}

// Blocks lists every block.
func (s *Store) Blocks() ([]Block, error) {
	var out []Block
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketBlocks).ForEach(func(k, _ []byte) error {
			var b Block
			if err := get(tx, bucketBlocks, string(k), &b); err != nil {
				return err
			}
			out = append(out, b)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: list blocks: %w", err)
	}
	return out, nil
}

// Wipe is a signed wipe order waiting for its handset to connect.
type Wipe struct {
	Device string    `json:"device"`
	Order  []byte    `json:"order"`
	Queued time.Time `json:"queued"`
}

// PutWipe queues a wipe order, replacing an older one for the same device.
func (s *Store) PutWipe(w Wipe) error {
	if err := s.db.Update(func(tx *bbolt.Tx) error { return put(tx, bucketWipes, w.Device, w) }); err != nil {
		return fmt.Errorf("store: queue wipe for %s: %w", w.Device, err)
	}
	return nil
}

// Wipe returns the order queued for a device, or ErrNotFound.
func (s *Store) Wipe(device string) (Wipe, error) {
	var w Wipe
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx, bucketWipes, device, &w) })
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("store: wipe for %s: %w", device, err)
	}
	return w, err
}

// DeleteWipe drops a device's queued order once the handset acknowledged it.
func (s *Store) DeleteWipe(device string) error {
	if err := s.db.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketWipes).Delete([]byte(device)) }); err != nil {
		return fmt.Errorf("store: drop wipe for %s: %w", device, err)
	}
	return nil
}

// Wipes lists every queued order.
func (s *Store) Wipes() ([]Wipe, error) {
	var out []Wipe
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketWipes).ForEach(func(k, _ []byte) error {
			var w Wipe
			if err := get(tx, bucketWipes, string(k), &w); err != nil {
				return err
			}
			out = append(out, w)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: list wipes: %w", err)
	}
	return out, nil
}
