package client

import (
	"context"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/exchange/internal/pkitest"
	"mehfooz/exchange/wire"
)

// fakeExchange is a TLS server that speaks frames from a script: enough of
// an exchange to show how the client reacts to what a real one would not
// send (forged orders, silence).
type fakeExchange struct {
	t     *testing.T
	ca    *pkitest.CA
	ln    net.Listener
	conns chan *fakeConn
	wg    sync.WaitGroup
}

type fakeConn struct {
	tc    *tls.Conn
	w     *wire.Writer
	r     *wire.Reader
	hello *wire.Hello
}

func newFakeExchange(t *testing.T, ca *pkitest.CA) *fakeExchange {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{ca.Server(t, "exchange.test")},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool,
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeExchange{t: t, ca: ca, ln: ln, conns: make(chan *fakeConn, 8)}
	f.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			tc := c.(*tls.Conn)
			fc := &fakeConn{tc: tc, w: wire.NewWriter(tc), r: wire.NewReader(tc, wire.FromHandset)}
			if _, m, err := fc.r.Read(); err == nil {
				fc.hello, _ = m.(*wire.Hello)
			}
			f.conns <- fc
		}
	})
	t.Cleanup(func() {
		ln.Close()
		f.wg.Wait()
		close(f.conns)
		for c := range f.conns {
			c.tc.Close()
		}
	})
	return f
}

func (f *fakeExchange) accept() *fakeConn {
	f.t.Helper()
	select {
	case c := <-f.conns:
		f.t.Cleanup(func() { c.tc.Close() })
		return c
	case <-time.After(5 * time.Second):
		f.t.Fatal("client did not connect")
		return nil
	}
}

type running struct {
	c    *Client
	done chan error
	stop func()
}

func startClient(t *testing.T, f *fakeExchange, device string, edit func(*Config)) *running {
	t.Helper()
	cfg := Config{
		Addr: f.ln.Addr().String(), ServerName: "exchange.test", Certificate: f.ca.Issue(t, device), Roots: f.ca.Pool,
		VerifyTechnician: func(c *x509.Certificate) error {
			if c.Subject.OrganizationalUnit[0] != "technician" {
				return errors.New("not a technician")
			}
			return nil
		},
		MinBackoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{c: c, done: make(chan error, 1)}
	go func() { r.done <- c.Run(ctx) }()
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			for range c.Events() {
			}
			<-r.done
		})
	}
	t.Cleanup(r.stop)
	return r
}

func nextEvent[T Event](t *testing.T, c *Client) T {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case e, ok := <-c.Events():
			if !ok {
				t.Fatalf("events closed waiting for %T", *new(T))
			}
			if v, ok := e.(T); ok {
				return v
			}
		case <-timeout:
			t.Fatalf("no %T", *new(T))
		}
	}
}

func (fc *fakeConn) send(t *testing.T, m wire.Message) {
	t.Helper()
	if _, err := fc.w.Write(m); err != nil {
		t.Fatal(err)
	}
}

func wipeOrder(t *testing.T, signer tls.Certificate, device string) []byte {
	t.Helper()
	o := &wire.WipeOrder{ID: wire.NewOrderID(), Device: device, Issued: time.Now().Unix(), Technician: signer.Leaf.Raw}
	if err := o.Sign(signer.PrivateKey.(crypto.Signer)); err != nil {
		t.Fatal(err)
	}
	b, err := o.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBackoffDoublesCapsAndJitters(t *testing.T) {
	c := &Client{cfg: Config{MinBackoff: time.Second, MaxBackoff: 10 * time.Second}}
	var asked []int64
	c.cfg.Jitter = func(n int64) int64 { asked = append(asked, n); return n - 1 }
	for n, want := range []time.Duration{1, 2, 4, 8, 10, 10} {
		d := want * time.Second
		got := c.backoff(n)
		if lo, hi := d/2, d; got < lo || got >= hi {
			t.Fatalf("attempt %d: %v outside [%v, %v)", n, got, lo, hi)
		}
		if asked[n] != int64(d-d/2) {
			t.Fatalf("attempt %d: jitter range %d, want %d", n, asked[n], d-d/2)
		}
	}
	c.cfg.Jitter = func(int64) int64 { return 0 }
	if got := c.backoff(0); got != 500*time.Millisecond {
		t.Fatalf("no jitter: %v, want half of MinBackoff", got)
	}
}

func TestNewRefusesIncompleteConfig(t *testing.T) {
	ca := pkitest.NewCA(t, "CA")
	good := Config{Addr: "127.0.0.1:1", Certificate: ca.Issue(t, "pk-0001"), Roots: ca.Pool, VerifyTechnician: func(*x509.Certificate) error { return nil }}
	for name, edit := range map[string]func(*Config){
		"no address":           func(c *Config) { c.Addr = "" },
		"address without port": func(c *Config) { c.Addr = "exchange" },
		"no roots":             func(c *Config) { c.Roots = nil },
		"no certificate":       func(c *Config) { c.Certificate = tls.Certificate{} },
		"key not a signer":     func(c *Config) { c.Certificate.PrivateKey = "key" },
		"no wipe judge":        func(c *Config) { c.VerifyTechnician = nil },
	} {
		c := good
		edit(&c)
		if _, err := New(c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := New(good); err != nil {
		t.Fatal(err)
	}
}

// A wipe order reaches the integrator only if a technician signed it for
// this very device; anything else is dropped.
func TestWipeOrdersAreVerified(t *testing.T) {
	ca := pkitest.NewCA(t, "CA")
	f := newFakeExchange(t, ca)
	r := startClient(t, f, "pk-0001", nil)
	fc := f.accept()
	fc.send(t, &wire.Welcome{Device: "pk-0001", Group: uint16(tls.SecP384r1MLKEM1024)})
	nextEvent[*Connected](t, r.c)

	tech := ca.Technician(t, "tech-one")
	device := ca.Issue(t, "pk-0002")
	forged := wipeOrder(t, tech, "pk-0001")
	forged[len(forged)-5] ^= 1 // inside the signature
	for _, o := range [][]byte{
		wipeOrder(t, device, "pk-0001"), // signed by a device, not a technician
		wipeOrder(t, tech, "pk-0002"),   // for another device
		forged,
		[]byte("not an order"),
	} {
		fc.send(t, &wire.Wipe{Order: o})
	}
	good := wipeOrder(t, tech, "pk-0001")
	fc.send(t, &wire.Wipe{Order: good})
	w := nextEvent[*WipeOrdered](t, r.c)
	if w.Technician != "tech-one" || w.Order.Device != "pk-0001" {
		t.Fatalf("delivered %+v", w)
	}
	want, _ := wire.ParseWipeOrder(good)
	if w.Order.ID != want.ID {
		t.Fatal("a refused order was delivered before the good one")
	}
}

// A silent exchange (no frame for three ping intervals) is given up on and
// the client reconnects, on the client's clock.
func TestSilentExchangeReconnects(t *testing.T) {
	ca := pkitest.NewCA(t, "CA")
	f := newFakeExchange(t, ca)
	fake := clock.NewFake(time.Now())
	r := startClient(t, f, "pk-0001", func(c *Config) {
		c.Clock = fake
		c.PingInterval = 10 * time.Second
		c.Jitter = func(int64) int64 { return 0 }
	})
	fc := f.accept()
	if fc.hello == nil {
		t.Fatal("no hello")
	}
	fc.send(t, &wire.Welcome{Device: "pk-0001"})
	nextEvent[*Connected](t, r.c)
	// Pings go out; nobody answers.
	for i := 0; i < 3; i++ {
		if !fake.BlockUntil(1, t.Context().Done()) {
			t.Fatal("no ticker")
		}
		fake.Advance(10 * time.Second)
		if i < 2 {
			_, m, err := fc.r.Read()
			if err != nil || m.Kind() != wire.KindPing {
				t.Fatalf("ping %d: %v %v", i, m, err)
			}
		}
	}
	d := nextEvent[*Disconnected](t, r.c)
	if d.Err == nil || d.Retry != 5*time.Millisecond {
		t.Fatalf("disconnected %+v", d)
	}
	if !fake.BlockUntil(1, t.Context().Done()) {
		t.Fatal("no backoff timer")
	}
	fake.Advance(d.Retry)
	f.accept() // reconnected
}

func TestRequestsWhileDisconnected(t *testing.T) {
	ca := pkitest.NewCA(t, "CA")
	f := newFakeExchange(t, ca)
	r := startClient(t, f, "pk-0001", nil)
	if err := r.c.Send(t.Context(), wire.Envelope{Kind: wire.Invite, Call: wire.NewCallID(), To: "pk-0002"}); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Send before admission: %v", err)
	}
	fc := f.accept()
	fc.send(t, &wire.Welcome{Device: "pk-0001"})
	nextEvent[*Connected](t, r.c)
	// A malformed envelope is refused locally, never sent.
	if err := r.c.Send(t.Context(), wire.Envelope{Kind: wire.Invite, Call: wire.NewCallID(), To: "BAD ID"}); err == nil {
		t.Fatal("invalid envelope accepted")
	}
	if err := r.c.Send(t.Context(), wire.Envelope{Kind: wire.Invite, Call: wire.NewCallID(), From: "pk-0001", To: "pk-0002"}); !errors.Is(err, wire.ErrFromSet) {
		t.Fatalf("envelope with From: %v", err)
	}
	// A TURN request pending when the connection drops fails at once.
	errc := make(chan error, 1)
	go func() {
		_, err := r.c.TURN(context.Background(), wire.NewCallID(), "pk-0002")
		errc <- err
	}()
	if _, m, err := fc.r.Read(); err != nil || m.Kind() != wire.KindTURNRequest {
		t.Fatalf("TURN request: %v %v", m, err)
	}
	fc.tc.Close()
	if err := <-errc; !errors.Is(err, ErrNotConnected) {
		t.Fatalf("TURN across a drop: %v", err)
	}
	if err := r.c.Run(t.Context()); err == nil {
		t.Fatal("second Run accepted")
	}
}

func TestTURNAndRefusals(t *testing.T) {
	ca := pkitest.NewCA(t, "CA")
	f := newFakeExchange(t, ca)
	r := startClient(t, f, "pk-0001", nil)
	fc := f.accept()
	fc.send(t, &wire.Welcome{Device: "pk-0001"})
	nextEvent[*Connected](t, r.c)

	call := wire.NewCallID()
	type res struct {
		g   *wire.TURNGrant
		err error
	}
	rc := make(chan res, 1)
	go func() { g, err := r.c.TURN(context.Background(), call, "pk-0002"); rc <- res{g, err} }()
	_, m, err := fc.r.Read()
	if err != nil || m.(*wire.TURNRequest).Call != call {
		t.Fatalf("request %v %v", m, err)
	}
	fc.send(t, &wire.TURNGrant{Call: call, Username: "1:pk-0001:x", Password: "p", Expires: 1, URLs: []string{"turn:127.0.0.1:3478"}})
	if got := <-rc; got.err != nil || got.g.Username != "1:pk-0001:x" {
		t.Fatalf("grant %+v", got)
	}
	// A refused TURN request returns the refusal.
	go func() { g, err := r.c.TURN(context.Background(), call, "pk-0003"); rc <- res{g, err} }()
	seq, _, _ := fc.r.Read()
	fc.send(t, &wire.Error{Re: seq, Call: call, Code: wire.CodeNotAllowed, Reason: "policy"})
	var ref *Refusal
	if got := <-rc; !errors.As(got.err, &ref) || ref.Code != wire.CodeNotAllowed {
		t.Fatalf("refused TURN: %+v", got)
	}
	// A refused Send arrives as an event.
	r.c.Send(t.Context(), wire.Envelope{Kind: wire.Invite, Call: call, To: "pk-0003"})
	seq, _, _ = fc.r.Read()
	fc.send(t, &wire.Error{Re: seq, Call: call, Code: wire.CodeOffline, Reason: "offline"})
	if e := nextEvent[*Refused](t, r.c); e.Code != wire.CodeOffline || e.Call != call {
		t.Fatalf("refused event %+v", e)
	}
	// A connection-level refusal as revoked stops Run.
	fc.send(t, &wire.Error{Code: wire.CodeRevoked, Reason: "revoked"})
	for range r.c.Events() {
	}
	if err := <-r.done; !errors.Is(err, ErrRevoked) {
		t.Fatalf("Run: %v", err)
	}
	r.done <- nil
}
