package relay

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/turn/v5"

	"mehfooz/exchange/internal/pkitest"
	"mehfooz/exchange/wire"
)

type refusals struct {
	mu  sync.Mutex
	got []string
}

func (r *refusals) add(device, code, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, code+" "+device+": "+reason)
}

func (r *refusals) has(code string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range r.got {
		if strings.HasPrefix(g, code+" ") {
			return true
		}
	}
	return false
}

type fixture struct {
	relay   *Relay
	udp     string
	tls     string
	ca      *pkitest.CA
	refused *refusals
}

func start(t *testing.T, quota int) *fixture {
	t.Helper()
	ca := pkitest.NewCA(t, "test CA")
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tl := tls.NewListener(tcp, &tls.Config{
		MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{ca.Server(t, "relay.test")},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool,
	})
	f := &fixture{udp: udp.LocalAddr().String(), tls: tcp.Addr().String(), ca: ca, refused: &refusals{}}
	f.relay, err = New(Config{
		UDP: udp, TLS: tl, RelayIP: net.IPv4(127, 0, 0, 1), BindAddress: "127.0.0.1",
		Identify: func(cs *tls.ConnectionState) (string, error) {
			if len(cs.PeerCertificates) == 0 {
				return "", errors.New("no certificate")
			}
			return cs.PeerCertificates[0].Subject.CommonName, nil
		},
		URLs:           []string{"turn:" + f.udp + "?transport=udp", "turns:" + f.tls + "?transport=tcp"},
		MaxAllocations: quota,
		Refused:        f.refused.add,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.relay.Close() })
	return f
}

// client dials the relay over UDP with a grant and allocates.
func (f *fixture) allocateUDP(t *testing.T, g *wire.TURNGrant) (net.PacketConn, *turn.Client, error) {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := turn.NewClient(&turn.ClientConfig{
		TURNServerAddr: f.udp, STUNServerAddr: f.udp, Conn: conn,
		Username: g.Username, Password: g.Password, Realm: "mehfooz", RTO: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); conn.Close() })
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rc, err := c.AllocateWithContext(ctx)
	if err != nil {
		return nil, c, err
	}
	t.Cleanup(func() { rc.Close() })
	return rc, c, nil
}

func (f *fixture) allocateTLS(t *testing.T, cert tls.Certificate, g *wire.TURNGrant, timeout time.Duration) (net.PacketConn, error) {
	t.Helper()
	conn, err := tls.Dial("tcp", f.tls, &tls.Config{
		MinVersion: tls.VersionTLS13, RootCAs: f.ca.Pool, ServerName: "relay.test", Certificates: []tls.Certificate{cert},
	})
	if err != nil {
		return nil, err
	}
	c, err := turn.NewClient(&turn.ClientConfig{
		TURNServerAddr: f.tls, STUNServerAddr: f.tls, Conn: turn.NewSTUNConn(conn),
		Username: g.Username, Password: g.Password, Realm: "mehfooz",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); conn.Close() })
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	rc, err := c.AllocateWithContext(ctx)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { rc.Close() })
	return rc, nil
}

func grant(t *testing.T, r *Relay, device string, call wire.CallID) *wire.TURNGrant {
	t.Helper()
	g, err := r.Grant(device, call)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// relayBetween sends from a to b through the relay and checks b gets it.
func relayBetween(t *testing.T, a, b net.PacketConn) {
	t.Helper()
	// b must permit a's relay address before a's packets are let in (RFC 8656 §9).
	if _, err := b.WriteTo([]byte("open"), a.LocalAddr()); err != nil {
		t.Fatalf("b permits a: %v", err)
	}
	want := []byte("opus frame")
	buf := make([]byte, 1500)
	for i := 0; i < 20; i++ { // the first packets may race b's permission
		if _, err := a.WriteTo(want, b.LocalAddr()); err != nil {
			t.Fatalf("a sends: %v", err)
		}
		b.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		for {
			n, from, err := b.ReadFrom(buf)
			if err != nil {
				break
			}
			if string(buf[:n]) == "open" {
				continue // a's own permission probe from an earlier round
			}
			if !bytes.Equal(buf[:n], want) || from.String() != a.LocalAddr().String() {
				t.Fatalf("b got %q from %v, want %q from %v", buf[:n], from, want, a.LocalAddr())
			}
			return
		}
	}
	t.Fatal("no packet relayed from a to b")
}

func TestUDPRelaysBetweenTwoAllocations(t *testing.T) {
	f := start(t, 4)
	call := wire.NewCallID()
	a, _, err := f.allocateUDP(t, grant(t, f.relay, "pk-0001", call))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := f.allocateUDP(t, grant(t, f.relay, "pk-0002", call))
	if err != nil {
		t.Fatal(err)
	}
	// Both relay addresses are the relay's: neither handset sees the other's.
	for _, c := range []net.PacketConn{a, b} {
		if ip := c.LocalAddr().(*net.UDPAddr).IP; !ip.Equal(net.IPv4(127, 0, 0, 1)) {
			t.Fatalf("relayed address %v is not the relay IP", c.LocalAddr())
		}
	}
	relayBetween(t, a, b)
	relayBetween(t, b, a)
	if n := f.relay.Allocations("pk-0001"); n != 1 {
		t.Fatalf("pk-0001 allocations %d, want 1", n)
	}
}

func TestPermissionOutsideRelayRefused(t *testing.T) {
	f := start(t, 4)
	a, _, err := f.allocateUDP(t, grant(t, f.relay, "pk-0001", wire.NewCallID()))
	if err != nil {
		t.Fatal(err)
	}
	outside := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 9}
	if _, err := a.WriteTo([]byte("exfiltrate"), outside); err == nil {
		t.Fatal("relaying to an address outside the relay was permitted")
	}
	if !f.refused.has("turn-permission") {
		t.Fatalf("refusal not reported: %v", f.refused.got)
	}
}

func TestBadCredentialsRefused(t *testing.T) {
	f := start(t, 4)
	g := grant(t, f.relay, "pk-0001", wire.NewCallID())
	forged := *g
	forged.Username = strings.Replace(g.Username, "pk-0001", "pk-0002", 1)
	if _, _, err := f.allocateUDP(t, &forged); err == nil {
		t.Fatal("credential rewritten for another device was accepted")
	}
	wrong := *g
	wrong.Password = "AAAA" + g.Password[4:]
	if _, _, err := f.allocateUDP(t, &wrong); err == nil {
		t.Fatal("wrong password accepted")
	}
	// An expired credential: minted with a negative lifetime.
	old := f.relay.cfg.TTL
	f.relay.cfg.TTL = -time.Minute
	expired := grant(t, f.relay, "pk-0001", wire.NewCallID())
	f.relay.cfg.TTL = old
	if _, _, err := f.allocateUDP(t, expired); err == nil {
		t.Fatal("expired credential accepted")
	}
	if !f.refused.has("turn-credential") {
		t.Fatalf("refusals not reported: %v", f.refused.got)
	}
}

func TestQuotaPerDevice(t *testing.T) {
	f := start(t, 2)
	for i := range 2 {
		if _, _, err := f.allocateUDP(t, grant(t, f.relay, "pk-0001", wire.NewCallID())); err != nil {
			t.Fatalf("allocation %d: %v", i, err)
		}
	}
	if _, _, err := f.allocateUDP(t, grant(t, f.relay, "pk-0001", wire.NewCallID())); err == nil {
		t.Fatal("third allocation over a quota of 2 succeeded")
	}
	if !f.refused.has("turn-quota") {
		t.Fatalf("quota refusal not reported: %v", f.refused.got)
	}
	// Another device is not affected.
	if _, _, err := f.allocateUDP(t, grant(t, f.relay, "pk-0002", wire.NewCallID())); err != nil {
		t.Fatalf("other device: %v", err)
	}
}

func TestTLSBindsCredentialToCertificate(t *testing.T) {
	f := start(t, 4)
	call := wire.NewCallID()
	certA := f.ca.Issue(t, "pk-0001")
	a, err := f.allocateTLS(t, certA, grant(t, f.relay, "pk-0001", call), 5*time.Second)
	if err != nil {
		t.Fatalf("matching certificate and credential: %v", err)
	}
	b, _, err := f.allocateUDP(t, grant(t, f.relay, "pk-0002", call))
	if err != nil {
		t.Fatal(err)
	}
	relayBetween(t, a, b)

	// pk-0002's credential on pk-0001's certificate is refused.
	if _, err := f.allocateTLS(t, certA, grant(t, f.relay, "pk-0002", call), 5*time.Second); err == nil {
		t.Fatal("credential of another device accepted over TLS")
	}
	if !f.refused.has("turn-identity") {
		t.Fatalf("identity refusal not reported: %v", f.refused.got)
	}
	// A certificate from another CA never gets past TLS.
	rogue := pkitest.NewCA(t, "rogue").Issue(t, "pk-0001")
	if _, err := f.allocateTLS(t, rogue, grant(t, f.relay, "pk-0001", call), 500*time.Millisecond); err == nil {
		t.Fatal("certificate from another CA accepted")
	}
}

func TestGrantRefusesBadDevice(t *testing.T) {
	f := start(t, 4)
	if _, err := f.relay.Grant("a:b", wire.NewCallID()); err == nil {
		t.Fatal("device ID with ':' accepted")
	}
	g := grant(t, f.relay, "pk-0001", wire.NewCallID())
	if want := fmt.Sprint(g.Expires) + ":pk-0001:"; !strings.HasPrefix(g.Username, want) {
		t.Fatalf("username %q, want prefix %q", g.Username, want)
	}
	if d := time.Until(time.Unix(g.Expires, 0)); d < 9*time.Minute || d > 11*time.Minute {
		t.Fatalf("credential lives %v, want about 10m", d)
	}
}

// Allocations of different calls share the relay's address, so TURN's
// per-IP permissions would let them talk; the relay keeps each call's media
// to its own allocations.
func TestAllocationsTalkOnlyWithinTheirCall(t *testing.T) {
	f := start(t, 4)
	one, two := wire.NewCallID(), wire.NewCallID()
	a, _, err := f.allocateUDP(t, grant(t, f.relay, "pk-0001", one))
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := f.allocateUDP(t, grant(t, f.relay, "pk-0002", one))
	if err != nil {
		t.Fatal(err)
	}
	intruder, _, err := f.allocateUDP(t, grant(t, f.relay, "pk-0003", two))
	if err != nil {
		t.Fatal(err)
	}
	// b permits the relay address (as every relay-only handset does), so
	// only the call check stands between the intruder and b.
	relayBetween(t, a, b)
	for range 5 {
		if _, err := intruder.WriteTo([]byte("injected"), b.LocalAddr()); err != nil {
			t.Fatalf("intruder send: %v", err)
		}
	}
	buf := make([]byte, 1500)
	b.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	for {
		n, from, err := b.ReadFrom(buf)
		if err != nil {
			break
		}
		if string(buf[:n]) == "injected" {
			t.Fatalf("packet from %v of another call reached the callee", from)
		}
	}
	if !f.refused.has("turn-cross-call") {
		t.Fatalf("cross-call packets not reported: %v", f.refused.got)
	}
}
