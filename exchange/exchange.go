// Package exchange is the operator-side rendezvous of the secure handsets.
// Each handset keeps one mutual TLS 1.3 connection to it (hybrid
// post-quantum key exchange, certificates from the enrollment CA) over which
// the exchange
//
//   - admits only enrolled, unrevoked handsets that the directory lists with
//     the certificate they present, and tells each refused one why;
//   - tells a handset which of its contacts are online (presence lives in
//     memory only);
//   - routes call signaling (invite, ringing, answer, decline, busy, ICE
//     candidates, hang-up, ICE restart) only between two admitted handsets
//     whose directory policy allows the call, and after the invite only
//     between the two parties of that call, never parsing the signed bodies;
//   - mints per-call TURN credentials for its relay (package relay);
//   - pushes the signed directory and revocation list, tearing down what a
//     revocation forbids, and delivers technicians' signed wipe orders.
//
// Technicians reach it over a second mutual-TLS listener (the technician
// API, see package admin). Enrolled devices, bundles, blocks, wipe orders and
// the audit log of security events persist in package store; calls are never
// recorded.
package exchange

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"mehfooz/clock"
	"mehfooz/exchange/store"
	"mehfooz/exchange/wire"
	"mehfooz/trust"
	"mehfooz/trust/bundle"
	"mehfooz/trust/directory"
	"mehfooz/trust/revocation"
	"mehfooz/trust/whitelist"
)

// Granter mints TURN credentials (package relay).
type Granter interface {
	Grant(device string, call wire.CallID) (*wire.TURNGrant, error)
}

// Publisher is the key and certificate (role publisher) that sign
// revocation lists.
type Publisher struct {
	Key  crypto.Signer
	Cert *x509.Certificate
	// Validity of the lists it signs; default 7 days.
	Validity time.Duration
}

// Config configures an Exchange.
type Config struct {
	// Verifier checks certificates against the enrollment CA, on its clock.
	Verifier *trust.Verifier
	// Certificate is the exchange's own TLS certificate (role exchange).
	Certificate tls.Certificate
	Store       *store.Store
	// Relay mints TURN credentials; nil means this exchange has no relay.
	Relay Granter
	// Publisher, if set, signs revocation lists on the exchange's own
	// initiative: when a handset revokes itself (duress) or confirms a
	// wipe, every handset gets a signed list naming it within seconds,
	// without waiting for a technician.
	Publisher *Publisher
	Clock     clock.Clock
	Logger    *slog.Logger

	// AllowClassical admits handsets that cannot do a hybrid post-quantum
	// key exchange. Off by default: every handset we build can.
	AllowClassical bool
	// Rate and Burst shape each device's token bucket (frames per second);
	// defaults 20 and 60 (an ICE gathering burst fits).
	Rate  float64
	Burst int
	// IdleTimeout drops a connection that sent nothing for this long
	// (handsets ping well within it); default 90s.
	IdleTimeout time.Duration
	// HandshakeTimeout bounds the TLS handshake and the Hello; default 10s.
	HandshakeTimeout time.Duration
	// RingTimeout ends an unanswered call; default 60s.
	RingTimeout time.Duration
	// Grace keeps an answered call open while a party reconnects; default 2m.
	Grace time.Duration
	// ReplayWindow is how long a used call ID is remembered; default 24h.
	ReplayWindow time.Duration
	// MaxCalls caps the open calls of one device; default 4.
	MaxCalls int
	// QueueLen bounds the frames waiting for a slow handset; default 64.
	QueueLen int
	// AuditRate caps audit writes for refused connections per second (each
	// is an fsync); the rest are counted and summarised. Default 20.
	AuditRate float64
}

func (c *Config) defaults() error {
	if c.Verifier == nil || c.Store == nil {
		return errors.New("exchange: config needs Verifier and Store")
	}
	if len(c.Certificate.Certificate) == 0 {
		return errors.New("exchange: config needs the exchange certificate")
	}
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.IdleTimeout, 90*time.Second)
	def(&c.HandshakeTimeout, 10*time.Second)
	def(&c.RingTimeout, 60*time.Second)
	def(&c.Grace, 2*time.Minute)
	def(&c.ReplayWindow, 24*time.Hour)
	if c.Rate <= 0 {
		c.Rate = 20
	}
	if c.Burst <= 0 {
		c.Burst = 60
	}
	if c.MaxCalls <= 0 {
		c.MaxCalls = 4
	}
	if c.QueueLen <= 0 {
		c.QueueLen = 64
	}
	if c.AuditRate <= 0 {
		c.AuditRate = 20
	}
	if c.Publisher != nil {
		if err := c.Verifier.Verify(c.Publisher.Cert, trust.RolePublisher, c.Verifier.Now()); err != nil {
			return fmt.Errorf("exchange: publisher certificate: %w", err)
		}
		if c.Publisher.Validity <= 0 {
			c.Publisher.Validity = 7 * 24 * time.Hour
		}
	}
	return nil
}

// Exchange is the running rendezvous. Create it with New, serve handsets
// with ServeHandsets and technicians with ServeTechnicians.
type Exchange struct {
	cfg   Config
	log   *slog.Logger
	clk   clock.Clock
	audit *auditor

	// The directory and revocation list: trust's holders (which refuse
	// rollback and bad signatures and persist through the store) and the
	// gate that makes the same admission decision a handset makes.
	dirs *directory.Holder
	revs *revocation.Holder
	gate *whitelist.Gate

	mu       sync.Mutex
	enrolled map[trust.DeviceID]trust.Fingerprint
	blocks   map[trust.DeviceID]string
	wipes    map[trust.DeviceID]wire.OrderID
	sessions map[trust.DeviceID]*session
	live     map[*session]struct{} // every connection with a writer, replaced ones too
	lastSeen map[trust.DeviceID]time.Time
	buckets  map[trust.DeviceID]*bucket
	calls    map[wire.CallID]*call
	seen     *replayCache
}

// New loads the exchange's state from the store, verifying the stored
// bundles again: a tampered database is refused, not trusted.
func New(cfg Config) (*Exchange, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	x := &Exchange{
		cfg: cfg, log: cfg.Logger, clk: cfg.Clock,
		enrolled: map[trust.DeviceID]trust.Fingerprint{},
		blocks:   map[trust.DeviceID]string{},
		wipes:    map[trust.DeviceID]wire.OrderID{},
		sessions: map[trust.DeviceID]*session{},
		live:     map[*session]struct{}{},
		lastSeen: map[trust.DeviceID]time.Time{},
		buckets:  map[trust.DeviceID]*bucket{},
		calls:    map[wire.CallID]*call{},
		seen:     newReplayCache(cfg.ReplayWindow),
	}
	x.audit = newAuditor(cfg.Store, cfg.Clock, cfg.Logger, cfg.AuditRate)
	if err := x.load(); err != nil {
		return nil, err
	}
	return x, nil
}

func (x *Exchange) load() error {
	s := x.cfg.Store
	devs, err := s.Devices()
	if err != nil {
		return fmt.Errorf("exchange: load: %w", err)
	}
	for _, d := range devs {
		x.enrolled[trust.DeviceID(d.ID)] = trust.FingerprintOf(d.Certificate)
	}
	if x.dirs, err = directory.NewHolder(x.cfg.Verifier, bundleStore{s, store.Directory, bundle.KindDirectory, x.cfg.Verifier}, x.log); err != nil {
		return fmt.Errorf("exchange: load stored directory: %w", err)
	}
	if x.revs, err = revocation.NewHolder(x.cfg.Verifier, bundleStore{s, store.Revocations, bundle.KindRevocation, x.cfg.Verifier}, x.log); err != nil {
		return fmt.Errorf("exchange: load stored revocation list: %w", err)
	}
	x.gate = whitelist.New(x.cfg.Verifier, x.dirs, x.revs, nil)
	blocks, err := s.Blocks()
	if err != nil {
		return fmt.Errorf("exchange: load: %w", err)
	}
	for _, b := range blocks {
		x.blocks[trust.DeviceID(b.ID)] = b.Reason
	}
	wipes, err := s.Wipes()
	if err != nil {
		return fmt.Errorf("exchange: load: %w", err)
	}
	for _, w := range wipes {
		o, err := wire.ParseWipeOrder(w.Order)
		if err != nil {
			return fmt.Errorf("exchange: load stored wipe order for %s: %w", w.Device, err)
		}
		x.wipes[trust.DeviceID(w.Device)] = o.ID
	}
	return nil
}

// bundleStore keeps a trust bundle holder's bytes in the exchange's store.
type bundleStore struct {
	s    *store.Store
	name string
	kind bundle.Kind
	v    *trust.Verifier
}

func (b bundleStore) Load() ([]byte, error) {
	_, raw, err := b.s.Bundle(b.name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return raw, err
}

// Save stores a bundle the holder verified; the store keeps its version
// too, and refuses a rollback on its own as well.
func (b bundleStore) Save(raw []byte) error {
	v, err := bundle.Verify(raw, b.kind, b.v)
	if err != nil {
		return err
	}
	return b.s.PutBundle(b.name, v.Version, raw)
}

// current returns the held directory and revocation list (nil if none) and
// their signed bytes.
func (x *Exchange) current() (*directory.Directory, *bundle.Bundle, *revocation.List, *bundle.Bundle) {
	d, db := x.dirs.Current()
	l, lb := x.revs.Current()
	return d, db, l, lb
}
