// Package store keeps what the exchange must not lose across a restart, in
// one bbolt file: the device registry, the current signed directory and
// revocation list, blocks the exchange applied itself (a duress
// self-revocation waiting for a signed list), queued wipe orders, and the
// audit log of security events.
//
// Every change is one bbolt transaction, written and fsynced before it
// returns, so a power cut leaves the old state or the new one. Presence,
// calls and last-seen times are deliberately not stored: the exchange keeps
// no call records.
package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Errors callers branch on.
var (
	// ErrRollback refuses a bundle whose version is not newer than the
	// stored one.
	ErrRollback = errors.New("store: bundle version not newer than the stored one")
	// ErrNotFound means no such record.
	ErrNotFound = errors.New("store: not found")
)

var (
	bucketDevices = []byte("devices")
	bucketBundles = []byte("bundles")
	bucketBlocks  = []byte("blocks")
	bucketWipes   = []byte("wipes")
	bucketAudit   = []byte("audit")
	allBuckets    = [][]byte{bucketDevices, bucketBundles, bucketBlocks, bucketWipes, bucketAudit}
)

// Store is the exchange's database. It is safe for concurrent use.
type Store struct {
	db       *bbolt.DB
	maxAudit uint64
}

// Options tune a Store.
type Options struct {
	// MaxAudit caps the audit log; the oldest events go first. Default 100000.
	MaxAudit int
	// Timeout bounds the wait for the file lock held by another process.
	// Default 1s.
	Timeout time.Duration
}

// Open opens or creates the database at path.
func Open(path string, o Options) (*Store, error) {
	if o.MaxAudit <= 0 {
		o.MaxAudit = 100000
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Second
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: o.Timeout})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: create buckets: %w", err)
	}
	return &Store{db: db, maxAudit: uint64(o.MaxAudit)}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func put(tx *bbolt.Tx, bucket []byte, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Bucket(bucket).Put([]byte(key), b)
}

func get(tx *bbolt.Tx, bucket []byte, key string, v any) error {
	b := tx.Bucket(bucket).Get([]byte(key))
	if b == nil {
		return ErrNotFound
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("store: corrupt %s record %q: %w", bucket, key, err)
	}
	return nil
}

func u64key(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }
