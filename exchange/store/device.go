package store

import (
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Device is an enrolled handset as the exchange knows it.
type Device struct {
	ID string `json:"id"`
	// Certificate is the enrolled certificate, DER. A handset must present
	// exactly this certificate; a new one must be enrolled again.
	Certificate []byte    `json:"certificate"`
	Enrolled    time.Time `json:"enrolled"`
	// By names the technician who enrolled it.
	By string `json:"by"`
}

// PutDevice enrolls d, replacing an earlier certificate for the same ID.
func (s *Store) PutDevice(d Device) error {
	err := s.db.Update(func(tx *bbolt.Tx) error { return put(tx, bucketDevices, d.ID, d) })
	if err != nil {
		return fmt.Errorf("store: put device %s: %w", d.ID, err)
	}
	return nil
}

// Device returns the enrolled device id, or ErrNotFound.
func (s *Store) Device(id string) (Device, error) {
	var d Device
	err := s.db.View(func(tx *bbolt.Tx) error { return get(tx, bucketDevices, id, &d) })
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("store: device %s: %w", id, err)
	}
	return d, err
}

// Devices lists every enrolled device, by ID.
func (s *Store) Devices() ([]Device, error) {
	var out []Device
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketDevices).ForEach(func(k, _ []byte) error {
			var d Device
			if err := get(tx, bucketDevices, string(k), &d); err != nil {
				return err
			}
			out = append(out, d)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("store: list devices: %w", err)
	}
	return out, nil
}
