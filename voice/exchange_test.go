package voice

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/exchange"
	"mehfooz/exchange/client"
	exrelay "mehfooz/exchange/relay"
	"mehfooz/exchange/store"
	"mehfooz/exchange/wire"
	"mehfooz/trust"
	"mehfooz/trust/ca"
	"mehfooz/trust/trusttest"
	"mehfooz/voice/internal/testpki"
	"mehfooz/voice/setup"
)

// exchangeLink adapts the exchange's handset client to Signaling and TURN:
// what the daemon does. Setup messages travel as routed envelopes; the
// exchange's route kinds have no reveal or hold, so those go as candidates,
// which it routes between the parties of an open call like any other.
type exchangeLink struct {
	c     *client.Client
	in    chan client.Routed
	phone atomic.Pointer[Phone] // for refusals of our frames
}

var routeKinds = map[setup.Kind]wire.RouteKind{
	setup.KindInvite: wire.Invite, setup.KindRinging: wire.Ringing, setup.KindAnswer: wire.Answer,
	setup.KindDecline: wire.Decline, setup.KindBusy: wire.Busy, setup.KindHangUp: wire.Hangup,
	setup.KindRefuse: wire.Hangup, setup.KindRestart: wire.RestartOffer, setup.KindRestartAnswer: wire.RestartAnswer,
	setup.KindReveal: wire.Candidate, setup.KindHold: wire.Candidate,
}

func (l *exchangeLink) Send(ctx context.Context, to string, msg []byte) error {
	m, _, err := setup.Peek(msg)
	if err != nil {
		return err
	}
	return l.c.Send(ctx, wire.Envelope{Kind: routeKinds[m.Kind], Call: wire.CallID(m.CallID), To: to, Body: msg})
}

func (l *exchangeLink) Recv(ctx context.Context) (string, []byte, error) {
	select {
	case r := <-l.in:
		return r.From, r.Body, nil
	case <-ctx.Done():
		return "", nil, ctx.Err()
	}
}

func (l *exchangeLink) TURN(ctx context.Context, call CallInfo) ([]ICEServer, error) {
	g, err := l.c.TURN(ctx, wire.CallID(call.ID), call.PeerID)
	if err != nil {
		return nil, err
	}
	return []ICEServer{{URLs: g.URLs, Username: g.Username, Credential: g.Password}}, nil
}

// pump hands routed messages to Recv and refusals to the Phone, until the
// client's event channel closes.
func (l *exchangeLink) pump() {
	for e := range l.c.Events() {
		switch e := e.(type) {
		case *client.Routed:
			l.in <- *e
		case *client.Refused:
			if p := l.phone.Load(); p != nil {
				go p.Undelivered(e.Call, e.Code+": "+e.Reason)
			}
		}
	}
}

// realExchange is an exchange with its relay on loopback, a fleet enrolled
// by the trust layer, and a directory letting everyone call everyone.
type realExchange struct {
	fleet *trusttest.Fleet
	x     *exchange.Exchange
	addr  string
	peers *testpki.Directory
}

func newRealExchange(t *testing.T, ids ...string) *realExchange {
	t.Helper()
	f := trusttest.NewAt(t, time.Now())
	k, err := ca.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := f.CA.IssueExchange(&k.PublicKey, []string{"exchange.test", "127.0.0.1"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var xp atomic.Pointer[exchange.Exchange]
	relayTLS := &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		if x := xp.Load(); x != nil {
			return x.RelayTLS(), nil
		}
		return nil, errors.New("exchange not started")
	}}
	r, err := exrelay.New(exrelay.Config{
		UDP: udp, TLS: tls.NewListener(tcp, relayTLS), RelayIP: net.IPv4(127, 0, 0, 1), BindAddress: "127.0.0.1",
		Identify: func(cs *tls.ConnectionState) (string, error) { return xp.Load().Identify(cs) },
		URLs:     []string{"turn:" + udp.LocalAddr().String() + "?transport=udp", "turns:" + tcp.Addr().String() + "?transport=tcp"},
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	st, err := store.Open(filepath.Join(t.TempDir(), "exchange.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x, err := exchange.New(exchange.Config{
		Verifier: f.Verifier, Certificate: tls.Certificate{Certificate: [][]byte{sc.Raw}, PrivateKey: k, Leaf: sc},
		Store: st, Relay: r, Clock: clock.Real{}, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	xp.Store(x)
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	al, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- x.Serve(ctx, hl, al) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("exchange Serve: %v", err)
		}
		st.Close()
	})
	e := &realExchange{fleet: f, x: x, addr: hl.Addr().String(), peers: testpki.NewDirectory(f.Verifier.Pool())}
	for _, id := range ids {
		d := f.Enroll(trust.DeviceID(id))
		if _, err := x.Enroll(d.Cert, "tech-one"); err != nil {
			t.Fatal(err)
		}
		e.peers.Add(testpki.Device{ID: id, Cert: d.Cert, Key: d.Key})
	}
	if _, err := x.PublishDirectory(f.SignDirectory(f.Directory()), "tech-one"); err != nil {
		t.Fatal(err)
	}
	if _, err := x.PublishRevocations(f.SignRevocations(f.Revocations()), "tech-one"); err != nil {
		t.Fatal(err)
	}
	return e
}

// handset connects id's exchange client and runs a Phone on it.
func (e *realExchange) handset(t *testing.T, w *world, id string) *handset {
	t.Helper()
	d := e.fleet.Devices[trust.DeviceID(id)]
	c, err := client.New(client.Config{
		Addr: e.addr, ServerName: "exchange.test", Certificate: d.TLS(), Roots: e.fleet.Verifier.Pool(),
		VerifyTechnician: func(c *x509.Certificate) error { _, err := e.fleet.Verifier.Technician(c); return err },
		Clock:            clock.Real{}, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	link := &exchangeLink{c: c, in: make(chan client.Routed, 64)}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = c.Run(ctx) }()
	go func() { defer wg.Done(); link.pump() }()
	t.Cleanup(func() { cancel(); wg.Wait() }) // after the Phone's cleanup (LIFO)
	for deadline := time.Now().Add(10 * time.Second); !c.State().Connected; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not admitted by the exchange: %v", id, c.State().LastError)
		}
	}
	h := w.start(t, testpki.Device{ID: id, Cert: d.Cert, Key: d.Key}, func(cfg *Config) {
		cfg.Peers, cfg.Roots = e.peers, e.fleet.Verifier.Pool()
		cfg.Signaling, cfg.TURN = link, link.TURN
	})
	link.phone.Store(h.phone)
	return h
}

// TestCallThroughExchange is TestCall through the real exchange: its mutual
// TLS signaling routes the signed setup messages, and its relay, with
// credentials it mints per call, carries the media.
func TestCallThroughExchange(t *testing.T) {
	checkGoroutines(t)
	e := newRealExchange(t, "pk-0001", "pk-0002")
	w := newWorld(t) // audio and the test plumbing; the exchange replaces its switch and relay
	alice, bob := e.handset(t, w, "pk-0001"), e.handset(t, w, "pk-0002")
	sa, sb := connect(t, alice, bob)
	if sa.SAS == "" || sa.SAS != sb.SAS {
		t.Fatalf("SAS %q / %q", sa.SAS, sb.SAS)
	}
	alice.awaitFrames(t, 25)
	bob.awaitFrames(t, 25)
	if err := bob.phone.HangUp(); err != nil {
		t.Fatal(err)
	}
	bob.awaitEnd(t, "hung-up")
	alice.awaitEnd(t, "remote-hung-up")
}
