// Package relay is the exchange's TURN relay (RFC 8656), built on
// pion/turn. Handsets call relay-only, so every media packet passes through
// it and neither handset learns the other's address.
//
// The relay hands out short-lived TURN REST credentials per call
// (draft-uberti-behave-turn-rest: username "expiry:device:call", password
// HMAC of it), so a credential names the device it was minted for. Over TLS
// the handset also presents its enrollment certificate, and the username's
// device must be that certificate's. Peers may only be other allocations of
// this relay (its own relay address), so the relay cannot be used to reach
// anything else; and an allocation exchanges packets only with the other
// allocations of the same call, so a handset cannot reach into another
// call's media either. Each device has an allocation quota.
package relay

import (
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/turn/v5"

	"mehfooz/exchange/wire"
)

// Config configures a Relay. The caller opens the sockets and hands them in.
type Config struct {
	// UDP is the TURN/UDP socket (port 3478 by convention). Optional if TLS is set.
	UDP net.PacketConn
	// TLS is the TURN/TLS listener (port 5349), already wrapped by
	// tls.NewListener with client certificates required. Optional if UDP is set.
	TLS net.Listener
	// Identify returns the device identity of a TLS peer's certificate,
	// after the exchange's full admission check (CA, validity, revocation,
	// enrollment). Required with TLS.
	Identify func(*tls.ConnectionState) (string, error)

	// RelayIP is the address allocations get: the only address handsets'
	// peers may have.
	RelayIP net.IP
	// BindAddress is where relay sockets listen; default RelayIP.
	BindAddress string
	// MinPort and MaxPort bound the relay ports (default 49152..65535).
	MinPort, MaxPort uint16

	// Realm is the TURN realm (default "mehfooz").
	Realm string
	// URLs are the turn:/turns: URIs handsets are told to use.
	URLs []string
	// TTL is how long minted credentials stay valid (default 10 minutes).
	TTL time.Duration
	// MaxAllocations is the per-device allocation quota (default 4: two
	// calls, each with a spare for an ICE restart).
	MaxAllocations int

	Logger *slog.Logger
	// Refused, if set, is told of every refusal, for the audit log.
	Refused func(device, code, reason string)
}

// ErrClosed is returned by Grant after Close.
var ErrClosed = errors.New("relay: closed")

// Relay is a running TURN server.
type Relay struct {
	cfg    Config
	secret *restSecret
	server *turn.Server

	mu     sync.Mutex
	allocs map[string]int                 // device -> live allocations
	made   map[string]int                 // device -> allocations made since start
	calls  map[string]map[string]struct{} // call -> relayed addresses of its allocations
}

// New starts the relay.
func New(cfg Config) (*Relay, error) {
	if cfg.UDP == nil && cfg.TLS == nil {
		return nil, errors.New("relay: no UDP socket and no TLS listener")
	}
	if cfg.TLS != nil && cfg.Identify == nil {
		return nil, errors.New("relay: TLS listener without Identify")
	}
	if cfg.RelayIP == nil {
		return nil, errors.New("relay: no relay IP")
	}
	if len(cfg.URLs) == 0 || len(cfg.URLs) > 8 {
		return nil, fmt.Errorf("relay: %d URLs, want 1..8", len(cfg.URLs))
	}
	if cfg.BindAddress == "" {
		cfg.BindAddress = cfg.RelayIP.String()
	}
	if cfg.MinPort == 0 {
		cfg.MinPort, cfg.MaxPort = 49152, 65535
	}
	if cfg.Realm == "" {
		cfg.Realm = "mehfooz"
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 10 * time.Minute
	}
	if cfg.MaxAllocations <= 0 {
		cfg.MaxAllocations = 4
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Refused == nil {
		cfg.Refused = func(string, string, string) {}
	}
	// The secret lives only in this process: a restart invalidates every
	// credential, which are minutes long anyway. Nothing stores it.
	key := make([]byte, 32)
	rand.Read(key)
	r := &Relay{cfg: cfg, secret: &restSecret{key: key}, allocs: map[string]int{}, made: map[string]int{}, calls: map[string]map[string]struct{}{}}

	gen := func() turn.RelayAddressGenerator {
		return &callGenerator{r: r, inner: &turn.RelayAddressGeneratorPortRange{
			RelayAddress: cfg.RelayIP, Address: cfg.BindAddress, MinPort: cfg.MinPort, MaxPort: cfg.MaxPort,
		}}
	}
	sc := turn.ServerConfig{
		Realm:         cfg.Realm,
		AuthHandler:   r.auth,
		QuotaHandler:  r.quota,
		LoggerFactory: slogFactory{cfg.Logger},
		EventHandler: turn.EventHandler{
			OnAllocationCreated: func(_, _ net.Addr, _, user, _ string, _ net.Addr, _ int) { r.count(deviceOf(user), +1) },
			OnAllocationDeleted: func(_, _ net.Addr, _, user, _ string) { r.count(deviceOf(user), -1) },
		},
	}
	if cfg.UDP != nil {
		sc.PacketConnConfigs = []turn.PacketConnConfig{{PacketConn: cfg.UDP, RelayAddressGenerator: gen(), PermissionHandler: r.permit}}
	}
	if cfg.TLS != nil {
		sc.ListenerConfigs = []turn.ListenerConfig{{Listener: cfg.TLS, RelayAddressGenerator: gen(), PermissionHandler: r.permit}}
	}
	s, err := turn.NewServer(sc)
	if err != nil {
		return nil, fmt.Errorf("relay: start TURN server: %w", err)
	}
	r.server = s
	return r, nil
}

// Close stops the relay, closes its sockets and wipes its secret, which
// voids every credential it minted.
func (r *Relay) Close() error {
	defer r.secret.Wipe()
	if err := r.server.Close(); err != nil {
		return fmt.Errorf("relay: close: %w", err)
	}
	return nil
}

// Grant mints credentials for one device in one call. The exchange calls it
// only for a party of an open call.
func (r *Relay) Grant(device string, call wire.CallID) (*wire.TURNGrant, error) {
	if err := wire.ValidID(device); err != nil {
		return nil, fmt.Errorf("relay: grant: %w", err)
	}
	user, pass, ok := r.secret.mint(device+":"+call.String(), time.Now(), r.cfg.TTL)
	if !ok {
		return nil, fmt.Errorf("relay: grant for %s: %w", device, ErrClosed)
	}
	expires, _, _ := strings.Cut(user, ":")
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("relay: grant for %s: minted username %q: %w", device, user, err)
	}
	return &wire.TURNGrant{Call: call, Username: user, Password: pass, Expires: exp, URLs: append([]string(nil), r.cfg.URLs...)}, nil
}

// Allocations reports a device's live allocations.
func (r *Relay) Allocations(device string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.allocs[device]
}

// Made reports how many allocations a device has made since the relay
// started: an ICE restart shows as one more.
func (r *Relay) Made(device string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.made[device]
}

func (r *Relay) count(device string, d int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if d > 0 {
		r.made[device] += d
	}
	if n := r.allocs[device] + d; n > 0 {
		r.allocs[device] = n
	} else {
		delete(r.allocs, device)
	}
}

// deviceOf returns the device of a TURN user ID "device:call".
func deviceOf(user string) string {
	d, _, _ := strings.Cut(user, ":")
	return d
}

// auth checks the REST credential and, over TLS, that it was minted for the
// device whose certificate is on the connection. The TURN user ID it
// returns is "device:call", so allocations know their call.
func (r *Relay) auth(ra *turn.RequestAttributes) (string, []byte, bool) {
	device, key, ok := r.secret.check(ra.Username, ra.Realm, time.Now())
	if !ok {
		r.cfg.Refused("", "turn-credential", "invalid or expired TURN credential")
		return "", nil, false
	}
	if wire.ValidID(device) != nil || strings.Count(ra.Username, ":") != 2 {
		r.cfg.Refused("", "turn-credential", "TURN username not minted by this exchange")
		return "", nil, false
	}
	if ra.TLS != nil {
		id, err := r.cfg.Identify(ra.TLS)
		if err != nil {
			r.cfg.Refused(device, "turn-certificate", err.Error())
			return "", nil, false
		}
		if id != device {
			r.cfg.Refused(id, "turn-identity", fmt.Sprintf("certificate of %s used credential of %s", id, device))
			return "", nil, false
		}
	}
	_, user, _ := strings.Cut(ra.Username, ":")
	return user, key, true
}

func (r *Relay) quota(user, _ string, _ net.Addr) bool {
	device := deviceOf(user)
	if r.Allocations(device) >= r.cfg.MaxAllocations {
		r.cfg.Refused(device, "turn-quota", fmt.Sprintf("allocation quota of %d reached", r.cfg.MaxAllocations))
		return false
	}
	return true
}

// permit lets an allocation talk only to the relay's own address, that is
// to another allocation: relay-only calls never need more, and anything
// else would make the relay an open proxy.
func (r *Relay) permit(client net.Addr, peer net.IP) bool {
	if peer.Equal(r.cfg.RelayIP) {
		return true
	}
	r.cfg.Refused("", "turn-permission", fmt.Sprintf("permission to %s outside the relay refused", peer))
	return false
}
