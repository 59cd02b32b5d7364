// Package client is the handset's side of the exchange: one mutual-TLS 1.3
// connection (hybrid post-quantum key exchange, the device certificate whose
// key stays in the keystore), kept up with jittered exponential backoff on
// the handset's clock. It delivers what the exchange sends, in order, on one
// channel of events (routed call messages, presence, signed directory and
// revocation bundles, verified wipe orders, refusals) and sends call
// messages, TURN credential requests, a duress self-revocation and wipe
// acknowledgements.
//
// The client is transport only: it does not judge bundles (the trust
// holders do), nor call messages (the call layer verifies their signatures).
// It does verify wipe orders, because acting on a forged one is
// irreversible.
package client

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"mehfooz/clock"
	"mehfooz/exchange/wire"
)

// Config configures a Client.
type Config struct {
	// Addr is the exchange's host:port; ServerName the name in its
	// certificate (default: the host of Addr).
	Addr       string
	ServerName string
	// Certificate is the device certificate; its PrivateKey must be a
	// crypto.Signer (the keystore's), so the key never leaves it.
	Certificate tls.Certificate
	// Roots holds the enrollment CA, which issued the exchange's certificate.
	Roots *x509.CertPool
	// Groups are the key exchanges offered; default SecP384r1MLKEM1024, the
	// hybrid of P-384 and ML-KEM-1024. Go sends a key share for one group
	// only and the server picks from what is offered, so this decides.
	Groups []tls.CurveID
	// Dial opens the TCP connection (e.g. over the modem's data bearer);
	// default net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Directory and Revocations report the bundle versions the handset
	// holds, told to the exchange on every connect so it sends only newer
	// ones. Nil means 0.
	Directory, Revocations func() uint64
	// VerifyTechnician judges the signer of a wipe order (e.g.
	// trust.Verifier.Technician). Required: without it no order is trusted.
	VerifyTechnician func(*x509.Certificate) error
	// Software names the build, shown in fleet status.
	Software string

	Clock  clock.Clock
	Logger *slog.Logger
	// PingInterval is how often an idle connection is probed (default 25s,
	// inside carrier NAT timeouts); no frame for three intervals means the
	// connection is dead.
	PingInterval time.Duration
	// MinBackoff and MaxBackoff bound the reconnect delay (default 1s and
	// 2m). The delay doubles per failed attempt and is jittered to
	// [d/2, d), so a fleet does not reconnect in lockstep after an outage.
	MinBackoff, MaxBackoff time.Duration
	// HandshakeTimeout bounds dial, TLS and the Welcome (default 20s).
	HandshakeTimeout time.Duration
	// Jitter returns a value in [0, n); default math/rand/v2. Tests fix it.
	Jitter func(n int64) int64
	// Events is the capacity of the event channel (default 64).
	Events int
}

// Errors callers branch on.
var (
	// ErrNotConnected: nothing was sent; the client is between connections.
	ErrNotConnected = errors.New("client: not connected to the exchange")
	// ErrRevoked: the exchange refused the device as revoked; Run stops.
	ErrRevoked = errors.New("client: device revoked")
	// ErrClosed: Run has returned.
	ErrClosed = errors.New("client: closed")
)

// Refusal is the exchange refusing the connection or a frame, with one of
// the codes of package wire.
type Refusal struct {
	Code   string
	Reason string
	// Re is the sequence number of the refused frame; 0 for the connection.
	Re   uint64
	Call wire.CallID
}

func (r *Refusal) Error() string { return "exchange refused: " + r.Code + ": " + r.Reason }

// Is lets errors.Is(err, ErrRevoked) match a revoked refusal.
func (r *Refusal) Is(target error) bool { return target == ErrRevoked && r.Code == wire.CodeRevoked }

// Client keeps a handset connected to the exchange.
type Client struct {
	cfg    Config
	tls    *tls.Config
	log    *slog.Logger
	clk    clock.Clock
	events chan Event

	mu      sync.Mutex
	conn    *conn // nil between connections
	state   State
	running bool
	closed  bool
}

// New checks the configuration. Call Run to connect.
func New(cfg Config) (*Client, error) {
	if cfg.Addr == "" || cfg.Roots == nil || len(cfg.Certificate.Certificate) == 0 {
		return nil, errors.New("client: config needs Addr, Roots and Certificate")
	}
	if _, ok := cfg.Certificate.PrivateKey.(crypto.Signer); !ok {
		return nil, errors.New("client: device key is not a crypto.Signer")
	}
	if cfg.VerifyTechnician == nil {
		return nil, errors.New("client: config needs VerifyTechnician to judge wipe orders")
	}
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("client: exchange address %q: %w", cfg.Addr, err)
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if len(cfg.Groups) == 0 {
		cfg.Groups = []tls.CurveID{tls.SecP384r1MLKEM1024}
	}
	if cfg.Dial == nil {
		var d net.Dialer
		cfg.Dial = d.DialContext
	}
	zero := func() uint64 { return 0 }
	if cfg.Directory == nil {
		cfg.Directory = zero
	}
	if cfg.Revocations == nil {
		cfg.Revocations = zero
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.PingInterval, 25*time.Second)
	def(&cfg.MinBackoff, time.Second)
	def(&cfg.MaxBackoff, 2*time.Minute)
	def(&cfg.HandshakeTimeout, 20*time.Second)
	if cfg.Jitter == nil {
		cfg.Jitter = rand.Int64N
	}
	if cfg.Events <= 0 {
		cfg.Events = 64
	}
	c := &Client{cfg: cfg, log: cfg.Logger, clk: cfg.Clock, events: make(chan Event, cfg.Events)}
	c.tls = &tls.Config{
		MinVersion:         tls.VersionTLS13,
		MaxVersion:         tls.VersionTLS13,
		RootCAs:            cfg.Roots,
		ServerName:         cfg.ServerName,
		Certificates:       []tls.Certificate{cfg.Certificate},
		CurvePreferences:   cfg.Groups,
		ClientSessionCache: nil, // every connection a full handshake
	}
	return c, nil
}

// Events delivers what the exchange sends, in order. Drain it promptly: the
// client stops reading while it is full, and the exchange drops a handset
// that stops reading.
func (c *Client) Events() <-chan Event { return c.events }

// State is the connection as the UI shows it.
type State struct {
	Connected bool
	// Device is the identity the exchange admitted.
	Device string
	// Group is the negotiated key exchange, e.g. tls.SecP384r1MLKEM1024.
	Group tls.CurveID
	Since time.Time
	// Attempt counts failed connection attempts since the last success.
	Attempt int
	// LastError is why the last connection ended or failed.
	LastError error
}

// State reports the current connection state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Run connects and keeps reconnecting until ctx ends (it returns nil) or
// the exchange refuses the device as revoked (it returns an error matching
// ErrRevoked). The event channel is closed when Run returns.
func (c *Client) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.running || c.closed {
		c.mu.Unlock()
		return errors.New("client: Run called twice")
	}
	c.running = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		close(c.events)
	}()
	attempt := 0
	for {
		welcomed, err := c.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if welcomed {
			attempt = 0
		}
		delay := c.backoff(attempt)
		attempt++
		c.mu.Lock()
		c.state = State{Attempt: attempt, LastError: err}
		c.mu.Unlock()
		if errors.Is(err, ErrRevoked) {
			c.emit(ctx, &Disconnected{Err: err})
			return err
		}
		c.log.Info("exchange connection ended", "err", err, "retry", delay)
		if !c.emit(ctx, &Disconnected{Err: err, Retry: delay}) {
			return nil
		}
		t := c.clk.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C():
		}
	}
}

// backoff is the delay before attempt n+1: MinBackoff doubled n times,
// capped at MaxBackoff, jittered to [d/2, d).
func (c *Client) backoff(n int) time.Duration {
	d := c.cfg.MinBackoff
	for i := 0; i < n && d < c.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, c.cfg.MaxBackoff)
	half := d / 2
	return half + time.Duration(c.cfg.Jitter(int64(d-half)))
}

// emit delivers an event unless ctx ends first.
func (c *Client) emit(ctx context.Context, e Event) bool {
	select {
	case c.events <- e:
		return true
	case <-ctx.Done():
		return false
	}
}

// Redial drops the connection to the exchange, if there is one, so Run
// connects again at once: after the data bearer changed, the old socket is
// bound to an address that no longer reaches anything, and the ping check
// would notice only after PingTimeout.
func (c *Client) Redial() {
	c.mu.Lock()
	cn := c.conn
	c.mu.Unlock()
	if cn != nil {
		cn.tc.NetConn().Close() // not tc.Close: its close_notify could wait on the dead link
	}
}
