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
)

// Directory is a verified directory bundle as the exchange uses it
// (trust/directory.Directory behind an adapter).
type Directory interface {
	Version() uint64
	// Check reports whether id is listed with certificate fingerprint fp.
	Check(id trust.DeviceID, fp trust.Fingerprint) error
	// MayCall reports whether the policy lets from call to.
	MayCall(from, to trust.DeviceID) error
	// Devices lists every device in the directory.
	Devices() []trust.DeviceID
}

// Revocations is a verified revocation list (trust/revocation.List behind an
// adapter).
type Revocations interface {
	Version() uint64
	// Revoked returns a trust.ErrRevoked error if id is revoked.
	Revoked(id trust.DeviceID) error
}

// Bundles verifies what technicians publish and handsets send. Package
// trust implements it (see NewTrustBundles).
type Bundles interface {
	Directory(raw []byte) (Directory, error)
	Revocations(raw []byte) (Revocations, error)
	// SelfRevoke verifies a handset's signed revocation request against its
	// certificate and returns the device and the reason.
	SelfRevoke(raw []byte, cert *x509.Certificate) (trust.DeviceID, string, error)
}

// Granter mints TURN credentials (package relay).
type Granter interface {
	Grant(device string, call wire.CallID) (*wire.TURNGrant, error)
}

// Config configures an Exchange.
type Config struct {
	// Verifier checks certificates against the enrollment CA, on its clock.
	Verifier *trust.Verifier
	// Certificate is the exchange's own TLS certificate (role exchange).
	Certificate tls.Certificate
	Store       *store.Store
	Bundles     Bundles
	// Relay mints TURN credentials; nil means this exchange has no relay.
	Relay  Granter
	Clock  clock.Clock
	Logger *slog.Logger

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
	// QueueLen bounds the frames waiting for a slow handset; default 256.
	QueueLen int
	// AuditRate caps audit writes for refused connections per second (each
	// is an fsync); the rest are counted and summarised. Default 20.
	AuditRate float64
}

func (c *Config) defaults() error {
	if c.Verifier == nil || c.Store == nil || c.Bundles == nil {
		return errors.New("exchange: config needs Verifier, Store and Bundles")
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
		c.QueueLen = 256
	}
	if c.AuditRate <= 0 {
		c.AuditRate = 20
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

	mu       sync.Mutex
	dir      Directory
	rev      Revocations
	dirRaw   []byte
	revRaw   []byte
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
// bundles again (a tampered database is refused, not trusted).
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
	if _, raw, err := s.Bundle(store.Directory); err == nil {
		d, err := x.cfg.Bundles.Directory(raw)
		if err != nil {
			return fmt.Errorf("exchange: load stored directory: %w", err)
		}
		x.dir, x.dirRaw = d, raw
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("exchange: load: %w", err)
	}
	if _, raw, err := s.Bundle(store.Revocations); err == nil {
		r, err := x.cfg.Bundles.Revocations(raw)
		if err != nil {
			return fmt.Errorf("exchange: load stored revocation list: %w", err)
		}
		x.rev, x.revRaw = r, raw
	} else if !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("exchange: load: %w", err)
	}
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
