package exchange_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/turn/v5"

	"mehfooz/exchange"
	"mehfooz/exchange/client"
	"mehfooz/exchange/relay"
	"mehfooz/exchange/wire"
)

// withRelay starts a relay whose TURN/TLS listener admits handsets the way
// the exchange does, and wires it into the exchange's config.
func withRelay(t *testing.T) (func(*exchange.Config), *atomic.Pointer[exchange.Exchange], string, string) {
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var x atomic.Pointer[exchange.Exchange]
	// The exchange is made after the relay (it mints the relay's
	// credentials), so the TLS listener asks for its config per handshake.
	relayTLS := &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		if ex := x.Load(); ex != nil {
			return ex.RelayTLS(), nil
		}
		return nil, errors.New("exchange not started")
	}}
	r, err := relay.New(relay.Config{
		UDP: udp, TLS: tls.NewListener(tcp, relayTLS), RelayIP: net.IPv4(127, 0, 0, 1), BindAddress: "127.0.0.1",
		Identify: func(cs *tls.ConnectionState) (string, error) { return x.Load().Identify(cs) },
		Refused:  func(device, code, reason string) { x.Load().RelayRefused(device, code, reason) },
		URLs:     []string{"turn:" + udp.LocalAddr().String() + "?transport=udp", "turns:" + tcp.Addr().String() + "?transport=tcp"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return func(c *exchange.Config) { c.Relay = r }, &x, udp.LocalAddr().String(), tcp.Addr().String()
}

func allocate(t *testing.T, conn net.PacketConn, server string, g *wire.TURNGrant, timeout time.Duration) (net.PacketConn, error) {
	t.Helper()
	c, err := turn.NewClient(&turn.ClientConfig{
		TURNServerAddr: server, STUNServerAddr: server, Conn: conn,
		Username: g.Username, Password: g.Password, Realm: "mehfooz", RTO: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	rc, err := c.AllocateWithContext(ctx)
	if err == nil {
		t.Cleanup(func() { rc.Close() })
	}
	return rc, err
}

func TestTURNThroughTheExchange(t *testing.T) {
	checkGoroutines(t)
	opts, xp, udpAddr, tlsAddr := withRelay(t)
	h := newHarness(t, opts)
	xp.Store(h.x)
	devA, devB, devC := h.enroll("pk-0001"), h.enroll("pk-0002"), h.enroll("pk-0003")
	h.publish(nil)
	a, b := h.connect(devA, nil), h.connect(devB, nil)

	call := wire.NewCallID()
	ga, err := a.c.TURN(t.Context(), call, "pk-0002") // before the invite
	if err != nil {
		t.Fatalf("caller's TURN: %v", err)
	}
	if len(ga.URLs) != 2 || ga.Call != call {
		t.Fatalf("grant %+v", ga)
	}
	// A third device cannot get credentials for this call.
	if _, err := h.connect(devC, nil).c.TURN(t.Context(), call, "pk-0001"); err == nil {
		t.Fatal("third party got TURN credentials for the call")
	}
	a.c.Send(t.Context(), wire.Envelope{Kind: wire.Invite, Call: call, To: "pk-0002", Body: []byte("offer")})
	next[*client.Routed](b, noise)
	gb, err := b.c.TURN(t.Context(), call, "pk-0001")
	if err != nil {
		t.Fatalf("callee's TURN: %v", err)
	}

	connA, _ := net.ListenPacket("udp4", "127.0.0.1:0")
	connB, _ := net.ListenPacket("udp4", "127.0.0.1:0")
	t.Cleanup(func() { connA.Close(); connB.Close() })
	ra, err := allocate(t, connA, udpAddr, ga, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := allocate(t, connB, udpAddr, gb, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rb.WriteTo([]byte("open"), ra.LocalAddr())
	buf := make([]byte, 1500)
	for i := 0; ; i++ {
		ra.WriteTo([]byte("media"), rb.LocalAddr())
		rb.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, from, err := rb.ReadFrom(buf)
		if err == nil && string(buf[:n]) == "media" && from.String() == ra.LocalAddr().String() {
			break
		}
		if i == 20 {
			t.Fatal("no media relayed between the two allocations")
		}
	}

	// TURN/TLS: the handset's certificate and credential must agree; a
	// revoked handset is refused by the exchange's admission.
	tlsAlloc := func(cert tls.Certificate, g *wire.TURNGrant, timeout time.Duration) error {
		tc, err := tls.Dial("tcp", tlsAddr, &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: h.fleet.Verifier.Pool(),
			ServerName: "exchange.test", Certificates: []tls.Certificate{cert}, CurvePreferences: []tls.CurveID{tls.SecP384r1MLKEM1024}})
		if err != nil {
			return err
		}
		t.Cleanup(func() { tc.Close() })
		_, err = allocate(t, turn.NewSTUNConn(tc), tlsAddr, g, timeout)
		return err
	}
	if err := tlsAlloc(devA.TLS(), ga, 3*time.Second); err != nil {
		t.Fatalf("TURN/TLS with A's certificate and credential: %v", err)
	}
	if err := tlsAlloc(devB.TLS(), ga, 500*time.Millisecond); err == nil {
		t.Fatal("TURN/TLS with B's certificate and A's credential succeeded")
	}
	if _, err := h.x.PublishRevocations(h.fleet.SignRevocations(h.fleet.Revocations("pk-0001")), "tech-one"); err != nil {
		t.Fatal(err)
	}
	if err := tlsAlloc(devA.TLS(), ga, 500*time.Millisecond); err == nil {
		t.Fatal("revoked A allocated over TURN/TLS")
	}
	h.auditHas("refused", "revoked", "pk-0001")
	h.auditHas("refused", "turn-identity", "")
}
