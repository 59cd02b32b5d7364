package bundle

import (
	"bytes"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"mehfooz/trust"
)

// Store persists the raw bytes of the held bundle. atomicfile.File is the
// one used on disk; its Save must be atomic (old or new, never a mix).
type Store interface {
	Load() ([]byte, error)
	Save([]byte) error
}

// IssueSkew is how much earlier than the held bundle a newer version may say
// it was issued: two signers (a technician's workstation, the exchange) do
// not share a clock. It matches the CA's backdating of certificates.
const IssueSkew = 10 * time.Minute

// Holder keeps the newest verified bundle of one kind, decoded to T. It
// refuses a bundle that is badly signed, malformed, of another kind, or not
// newer than the one it holds (rollback), and then keeps what it had. A
// newer bundle is persisted before it is used, so a power cut after Offer
// returns cannot bring back the older one. Safe for concurrent use.
type Holder[T any] struct {
	kind   Kind
	v      *trust.Verifier
	store  Store
	decode func(*Bundle) (T, error)
	log    *slog.Logger

	mu      sync.Mutex
	cur     *Bundle
	val     T
	changed chan struct{}
}

// NewHolder returns a Holder that loads what store holds. A stored bundle
// that no longer verifies is an error: the caller decides whether to remove
// it and start empty (fail closed: nobody is whitelisted until a new bundle
// arrives).
func NewHolder[T any](kind Kind, v *trust.Verifier, store Store, decode func(*Bundle) (T, error), log *slog.Logger) (*Holder[T], error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Holder[T]{kind: kind, v: v, store: store, decode: decode, log: log, changed: make(chan struct{})}
	raw, err := store.Load()
	if err != nil {
		return nil, fmt.Errorf("bundle: load held %s: %w", kind, err)
	}
	if raw == nil {
		return h, nil
	}
	b, val, err := h.check(raw)
	if err != nil {
		return nil, fmt.Errorf("bundle: held %s: %w", kind, err)
	}
	h.cur, h.val = b, val
	v.Observe(b.IssuedAt)
	return h, nil
}

func (h *Holder[T]) check(raw []byte) (*Bundle, T, error) {
	var zero T
	b, err := Verify(raw, h.kind, h.v)
	if err != nil {
		return nil, zero, err
	}
	val, err := h.decode(b)
	if err != nil {
		return nil, zero, fmt.Errorf("bundle: %s version %d: %w", h.kind, b.Version, err)
	}
	return b, val, nil
}

// Offer verifies raw and, if it is newer than the held bundle (a higher
// version, issued no earlier than IssueSkew before it), persists it and
// makes it current. It reports whether the held bundle changed. The
// same bundle offered again is not an error (the exchange resends on every
// connect); an older one, or another one with the same version, is
// trust.ErrRollback.
func (h *Holder[T]) Offer(raw []byte) (bool, error) {
	b, val, err := h.check(raw)
	if err != nil {
		h.log.Warn("bundle refused", "kind", h.kind.String(), "err", err)
		return false, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cur != nil && b.Version <= h.cur.Version {
		if b.Version == h.cur.Version && bytes.Equal(b.Raw, h.cur.Raw) {
			return false, nil
		}
		h.log.Warn("bundle rollback refused", "kind", h.kind.String(), "offered", b.Version, "held", h.cur.Version)
		return false, fmt.Errorf("bundle: %s version %d offered, %d held: %w", h.kind, b.Version, h.cur.Version, trust.ErrRollback)
	}
	if h.cur != nil && b.IssuedAt.Before(h.cur.IssuedAt.Add(-IssueSkew)) {
		// The signer's certificate is judged at the issue time the bundle
		// states, so a publisher key whose certificate has expired could
		// otherwise sign "old" bundles with new versions forever.
		h.log.Warn("backdated bundle refused", "kind", h.kind.String(), "offered", b.IssuedAt, "held", h.cur.IssuedAt)
		return false, fmt.Errorf("bundle: %s version %d issued %s, before the held one (%s): %w",
			h.kind, b.Version, b.IssuedAt.Format(time.RFC3339), h.cur.IssuedAt.Format(time.RFC3339), trust.ErrRollback)
	}
	if err := h.store.Save(b.Raw); err != nil {
		return false, fmt.Errorf("bundle: persist %s version %d: %w", h.kind, b.Version, err)
	}
	h.cur, h.val = b, val
	h.v.Observe(b.IssuedAt) // the clock can no longer be set back before this
	close(h.changed)
	h.changed = make(chan struct{})
	h.log.Info("bundle updated", "kind", h.kind.String(), "version", b.Version)
	return true, nil
}

// Current returns the held value and its bundle, or the zero T and nil when
// nothing is held yet.
func (h *Holder[T]) Current() (T, *Bundle) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.val, h.cur
}

// Changed returns a channel that is closed when a newer bundle becomes
// current. Take it, check Current, then wait on it: no update is missed.
func (h *Holder[T]) Changed() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.changed
}

// Memory is a Store that keeps the bytes in memory, for processes that
// persist elsewhere (the exchange keeps bundles in its database) and tests.
type Memory struct {
	mu sync.Mutex
	b  []byte
}

func (m *Memory) Load() ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.b), nil
}

func (m *Memory) Save(b []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.b = bytes.Clone(b)
	return nil
}
