package voice

import (
	"crypto/tls"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"
)

// relay is a real pion/turn server on loopback, as the exchange runs it:
// REST credentials per call, UDP, and optionally TLS with client certificates.
type relay struct {
	srv    *turn.Server
	udp    *gateConn
	tlsURL string
	secret string

	mu         sync.Mutex
	clients    map[string][]net.Addr // device ID -> client addresses of its allocations
	tlsClients []string              // common names of TLS clients that authenticated
}

const relaySecret = "exchange-secret"

func newRelay(t testing.TB, tlsCfg *tls.Config) *relay {
	return newRelayWith(t, tlsCfg, nil)
}

// newRelayWith is newRelay with its UDP socket wrapped by wrap (which may
// use the relay to tell the handsets apart).
func newRelayWith(t testing.TB, tlsCfg *tls.Config, wrap func(*relay, net.PacketConn) net.PacketConn) *relay {
	t.Helper()
	var pc net.PacketConn
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{secret: relaySecret, clients: map[string][]net.Addr{}}
	if wrap != nil {
		pc = wrap(r, pc)
	}
	r.udp = &gateConn{PacketConn: pc}
	gen := &turn.RelayAddressGeneratorStatic{RelayAddress: net.ParseIP("127.0.0.1"), Address: "127.0.0.1"}
	cfg := turn.ServerConfig{
		Realm:             "mehfooz",
		LoggerFactory:     logging.NewDefaultLoggerFactory(),
		AuthHandler:       r.auth(turn.LongTermTURNRESTAuthHandler(relaySecret, nil)),
		PacketConnConfigs: []turn.PacketConnConfig{{PacketConn: r.udp, RelayAddressGenerator: gen}},
		EventHandler: turn.EventHandler{
			OnAllocationCreated: func(src, _ net.Addr, _, user, _ string, _ net.Addr, _ int) {
				r.mu.Lock()
				defer r.mu.Unlock()
				id := user[strings.LastIndex(user, ":")+1:]
				r.clients[id] = append(r.clients[id], src)
			},
		},
	}
	cfg.LoggerFactory.(*logging.DefaultLoggerFactory).DefaultLogLevel = logging.LogLevelError
	if tlsCfg != nil {
		ln, err := tls.Listen("tcp4", "127.0.0.1:0", tlsCfg)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ListenerConfigs = []turn.ListenerConfig{{Listener: ln, RelayAddressGenerator: gen}}
		r.tlsURL = "turns:localhost:" + portOf(ln.Addr()) + "?transport=tcp"
	}
	r.srv, err = turn.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.srv.Close() })
	return r
}

// auth checks the REST credential and, over TLS, that the client
// certificate is the device's the credential was minted for.
func (r *relay) auth(rest turn.AuthHandler) turn.AuthHandler {
	return func(ra *turn.RequestAttributes) (string, []byte, bool) {
		user, key, ok := rest(ra)
		if !ok {
			return "", nil, false
		}
		if ra.TLS != nil {
			certs := ra.TLS.PeerCertificates
			if len(certs) == 0 || !strings.HasSuffix(ra.Username, ":"+certs[0].Subject.CommonName) {
				return "", nil, false
			}
			r.mu.Lock()
			r.tlsClients = append(r.tlsClients, certs[0].Subject.CommonName)
			r.mu.Unlock()
		}
		return user, key, true
	}
}

// from reports whether a is one of device's client addresses.
func (r *relay) from(device string, a net.Addr) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.clients[device] {
		if c.String() == a.String() {
			return true
		}
	}
	return false
}

// allocations returns how many allocations device made.
func (r *relay) allocations(device string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.clients[device])
}

func portOf(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}

func (r *relay) udpURL() string {
	return "turn:127.0.0.1:" + portOf(r.udp.LocalAddr()) + "?transport=udp"
}

// servers mints per-call REST credentials for device, as the exchange does.
func (r *relay) servers(device string, urls ...string) []ICEServer {
	u, pw, err := turn.GenerateLongTermTURNRESTCredentials(r.secret, device, 10*time.Minute)
	if err != nil {
		panic(err)
	}
	return []ICEServer{{URLs: urls, Username: u, Credential: pw}}
}

// cut drops every packet from or to the addresses device has used so far:
// its old data bearer is gone.
func (r *relay) cut(device string) {
	r.mu.Lock()
	addrs := append([]net.Addr(nil), r.clients[device]...)
	r.mu.Unlock()
	r.udp.block(addrs...)
}

// gateConn is the relay's listening socket with a gate in front of it.
type gateConn struct {
	net.PacketConn
	mu      sync.Mutex
	blocked map[string]bool
	// impair, if set, decides for each client packet whether it is dropped.
	impair func(b []byte) (drop bool)
}

func (g *gateConn) block(addrs ...net.Addr) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.blocked == nil {
		g.blocked = map[string]bool{}
	}
	for _, a := range addrs {
		g.blocked[a.String()] = true
	}
}

func (g *gateConn) passes(a net.Addr, b []byte) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.blocked[a.String()] {
		return false
	}
	return g.impair == nil || !g.impair(b)
}

func (g *gateConn) ReadFrom(b []byte) (int, net.Addr, error) {
	for {
		n, a, err := g.PacketConn.ReadFrom(b)
		if err != nil || g.passes(a, b[:n]) {
			return n, a, err
		}
	}
}

func (g *gateConn) WriteTo(b []byte, a net.Addr) (int, error) {
	g.mu.Lock()
	blocked := g.blocked[a.String()]
	g.mu.Unlock()
	if blocked {
		return len(b), nil
	}
	return g.PacketConn.WriteTo(b, a)
}
