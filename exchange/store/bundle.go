package store

import (
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// Bundle names.
const (
	Directory   = "directory"
	Revocations = "revocations"
)

type bundle struct {
	Version uint64 `json:"version"`
	Signed  []byte `json:"signed"`
}

// PutBundle stores a signed bundle of the given version if it is newer than
// the stored one, in one transaction, so two publishers racing cannot roll
// it back. It returns ErrRollback otherwise.
func (s *Store) PutBundle(name string, version uint64, signed []byte) error {
	err := s.db.Update(func(tx *bbolt.Tx) error {
		var old bundle
		switch err := get(tx, bucketBundles, name, &old); {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return err
		case version <= old.Version:
			return fmt.Errorf("%w: %s version %d, stored %d", ErrRollback, name, version, old.Version)
		}
		return put(tx, bucketBundles, name, bundle{Version: version, Signed: signed})
	})
	if err != nil {
		return fmt.Errorf("store: put %s: %w", name, err)
	}
	return nil
}

// Bundle returns the stored bundle and its version, or ErrNotFound.
func (s *Store) Bundle(name string) (version uint64, signed []byte, err error) {
	var b bundle
	err = s.db.View(func(tx *bbolt.Tx) error { return get(tx, bucketBundles, name, &b) })
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			err = fmt.Errorf("store: %s: %w", name, err)
		}
		return 0, nil, err
	}
	return b.Version, b.Signed, nil
}
