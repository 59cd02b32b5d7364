package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Event is one security event in the audit log: a refused connection or
// message with its reason, an enrollment, a revocation, a wipe. It names
// devices and technicians, never call contents, and routine calls are not
// events.
type Event struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	// Kind is a code such as "refused", "enrolled", "revoked", "wipe-queued".
	Kind string `json:"kind"`
	// Device is the handset concerned, if known.
	Device string `json:"device,omitempty"`
	// Actor is the technician who acted, if any.
	Actor string `json:"actor,omitempty"`
	// Code is the machine-readable reason, e.g. "unknown-ca".
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Remote is the peer address of a refused connection (so an attack can
	// be traced); it is not recorded for admitted handsets.
	Remote string `json:"remote,omitempty"`
}

// Audit appends e (Seq is assigned) and drops the oldest events beyond the
// cap, in one transaction.
func (s *Store) Audit(e Event) (uint64, error) {
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		e.Seq = seq
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		if err := b.Put(u64key(seq), v); err != nil {
			return err
		}
		if seq <= s.maxAudit {
			return nil
		}
		c := b.Cursor()
		for k, _ := c.First(); k != nil && binary.BigEndian.Uint64(k) <= seq-s.maxAudit; k, _ = c.First() {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: audit %s: %w", e.Kind, err)
	}
	return e.Seq, nil
}

// Events returns up to limit events with Seq > after, oldest first.
func (s *Store) Events(after uint64, limit int) ([]Event, error) {
	var out []Event
	err := s.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Seek(u64key(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("corrupt audit event %d: %w", binary.BigEndian.Uint64(k), err)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: read audit: %w", err)
	}
	return out, nil
}
