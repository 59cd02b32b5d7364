package exchange_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/exchange"
	"mehfooz/exchange/admin"
	"mehfooz/exchange/client"
	"mehfooz/exchange/internal/pkitest"
	"mehfooz/exchange/store"
	"mehfooz/exchange/wire"
	"mehfooz/trust"
	"mehfooz/trust/ca"
	"mehfooz/trust/directory"
	"mehfooz/trust/seal"
	"mehfooz/trust/trusttest"
)

// harness runs a real exchange on loopback with a real store, a real
// enrollment CA and publisher (package trusttest), a technician, and
// handsets that connect with package client or raw frames.
type harness struct {
	t      testing.TB
	fleet  *trusttest.Fleet
	dbPath string
	cfg    exchange.Config
	opts   func(*exchange.Config)

	x       *exchange.Exchange
	st      *store.Store
	addr    string // handset listener
	admin   string // technician listener
	cancel  context.CancelFunc
	served  chan error
	tech    tls.Certificate
	serverC tls.Certificate
	rawCA   *pkitest.CA // the enrollment CA's own key, for broken certificates
}

func newHarness(t testing.TB, opts func(*exchange.Config)) *harness {
	t.Helper()
	f := trusttest.NewAt(t, time.Now())
	h := &harness{t: t, fleet: f, dbPath: filepath.Join(t.TempDir(), "exchange.db"), opts: opts}
	k, err := ca.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := f.CA.IssueExchange(&k.PublicKey, []string{"exchange.test", "127.0.0.1"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.serverC = tls.Certificate{Certificate: [][]byte{sc.Raw}, PrivateKey: k, Leaf: sc}
	tk, _ := ca.NewKey()
	tc, err := f.CA.IssueTechnician("tech-one", &tk.PublicKey, 0)
	if err != nil {
		t.Fatal(err)
	}
	h.tech = tls.Certificate{Certificate: [][]byte{tc.Raw}, PrivateKey: tk, Leaf: tc}
	// The CA's key, out of its sealed form, to mint what it would refuse to.
	sealed, err := f.CA.SealKey([]byte("test"), seal.Test)
	if err != nil {
		t.Fatal(err)
	}
	der, err := seal.Open([]byte("test"), sealed)
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		t.Fatal(err)
	}
	h.rawCA = pkitest.Wrap(f.CA.Certificate(), key.(*ecdsa.PrivateKey))
	h.start()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) logger() *slog.Logger {
	if os.Getenv("EXCHANGE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// start opens the store and serves on the previous addresses if any (a
// restart), else on fresh loopback ports.
func (h *harness) start() {
	h.t.Helper()
	st, err := store.Open(h.dbPath, store.Options{})
	if err != nil {
		h.t.Fatal(err)
	}
	h.st = st
	h.cfg = exchange.Config{
		Verifier: h.fleet.Verifier, Certificate: h.serverC, Store: st,
		Clock: clock.Real{}, Logger: h.logger(),
	}
	if h.opts != nil {
		h.opts(&h.cfg)
	}
	x, err := exchange.New(h.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.x = x
	listen := func(addr string) net.Listener {
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		var ln net.Listener
		for i := 0; ; i++ { // the old socket may linger a moment after a restart
			ln, err = net.Listen("tcp", addr)
			if err == nil || i == 50 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if err != nil {
			h.t.Fatal(err)
		}
		return ln
	}
	hl, al := listen(h.addr), listen(h.admin)
	h.addr, h.admin = hl.Addr().String(), al.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.served = cancel, make(chan error, 1)
	go func() { h.served <- x.Serve(ctx, hl, al) }()
}

// stop ends Serve, waits for it and closes the store.
func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	if err := <-h.served; err != nil {
		h.t.Errorf("Serve: %v", err)
	}
	h.cancel = nil
	h.st.Close()
}

func (h *harness) restart() { h.stop(); h.start() }

// enroll enrolls a new device with the CA and the exchange.
func (h *harness) enroll(id string) *trusttest.Device {
	h.t.Helper()
	d := h.fleet.Enroll(trust.DeviceID(id))
	if _, err := h.x.Enroll(d.Cert, "tech-one"); err != nil {
		h.t.Fatal(err)
	}
	return d
}

// publish publishes a directory of every enrolled device (all may call
// all unless edit changes it) and an empty revocation list if none yet.
func (h *harness) publish(edit func(*directory.Directory)) {
	h.t.Helper()
	d := h.fleet.Directory()
	if edit != nil {
		edit(d)
	}
	if _, err := h.x.PublishDirectory(h.fleet.SignDirectory(d), "tech-one"); err != nil {
		h.t.Fatal(err)
	}
	if h.x.Status().Revocations == 0 {
		if _, err := h.x.PublishRevocations(h.fleet.SignRevocations(h.fleet.Revocations()), "tech-one"); err != nil {
			h.t.Fatal(err)
		}
	}
}

// adminClient dials the technician API with cert.
func (h *harness) adminClient(cert tls.Certificate) *admin.Client {
	h.t.Helper()
	c, err := admin.Dial(h.admin, cert, h.fleet.Verifier.Pool(), "exchange.test")
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(c.Close)
	return c
}

// handset is a running client with its events collected.
type handset struct {
	t      testing.TB
	dev    *trusttest.Device
	c      *client.Client
	cancel context.CancelFunc
	done   chan error
	ev     chan client.Event
	once   sync.Once
	err    error // what Run returned
}

func (h *harness) clientConfig(cert tls.Certificate) client.Config {
	return client.Config{
		Addr: h.addr, ServerName: "exchange.test", Certificate: cert, Roots: h.fleet.Verifier.Pool(),
		VerifyTechnician: func(c *x509.Certificate) error { _, err := h.fleet.Verifier.Technician(c); return err },
		Clock:            clock.Real{}, MinBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond,
		Software: "test", Logger: h.logger(),
	}
}

// connect runs a client for dev and waits for it to be admitted.
func (h *harness) connect(dev *trusttest.Device, edit func(*client.Config)) *handset {
	h.t.Helper()
	hs := h.start1(dev, edit)
	hs.expectConnected()
	return hs
}

func (h *harness) start1(dev *trusttest.Device, edit func(*client.Config)) *handset {
	h.t.Helper()
	cfg := h.clientConfig(dev.TLS())
	if edit != nil {
		edit(&cfg)
	}
	c, err := client.New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hs := &handset{t: h.t, dev: dev, c: c, cancel: cancel, done: make(chan error, 1), ev: make(chan client.Event, 256)}
	go func() { hs.done <- c.Run(ctx) }()
	go func() {
		for e := range c.Events() {
			hs.ev <- e
		}
		close(hs.ev)
	}()
	h.t.Cleanup(hs.stop)
	return hs
}

func (hs *handset) stop() {
	hs.once.Do(func() {
		hs.cancel()
		hs.err = <-hs.done
		for range hs.ev {
		}
	})
}

const wait = 5 * time.Second

// next returns the next event of type T, skipping others that skip allows.
func next[T client.Event](hs *handset, skip ...func(client.Event) bool) T {
	hs.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case e, ok := <-hs.ev:
			if !ok {
				hs.t.Fatalf("%s: events closed while waiting for %T", hs.dev.ID, *new(T))
			}
			if v, ok := e.(T); ok {
				return v
			}
			skipped := false
			for _, s := range skip {
				if s(e) {
					skipped = true
				}
			}
			if !skipped {
				hs.t.Fatalf("%s: got %T %+v while waiting for %T", hs.dev.ID, e, e, *new(T))
			}
		case <-deadline:
			hs.t.Fatalf("%s: no %T within %v", hs.dev.ID, *new(T), wait)
		}
	}
}

// noise are events that may come any time and that most tests ignore.
func noise(e client.Event) bool {
	switch e.(type) {
	case *client.PresenceUpdate, *client.DirectoryUpdate, *client.RevocationUpdate:
		return true
	}
	return false
}

func (hs *handset) expectConnected() *client.Connected {
	hs.t.Helper()
	return next[*client.Connected](hs, noise)
}

// quiet checks that no event other than noise arrives for a moment.
func (hs *handset) quiet(d time.Duration) {
	hs.t.Helper()
	deadline := time.After(d)
	for {
		select {
		case e := <-hs.ev:
			if !noise(e) {
				hs.t.Fatalf("%s: unexpected %T %+v", hs.dev.ID, e, e)
			}
		case <-deadline:
			return
		}
	}
}

// rawConn speaks frames directly, for what package client would never send.
type rawConn struct {
	t  testing.TB
	tc *tls.Conn
	w  *wire.Writer
	r  *wire.Reader
}

// dialRaw connects with cert, sends Hello and returns the first frame.
func (h *harness) dialRaw(cert tls.Certificate, groups ...tls.CurveID) (*rawConn, wire.Message, error) {
	h.t.Helper()
	if len(groups) == 0 {
		groups = []tls.CurveID{tls.SecP384r1MLKEM1024}
	}
	tc, err := tls.Dial("tcp", h.addr, &tls.Config{
		MinVersion: tls.VersionTLS13, RootCAs: h.fleet.Verifier.Pool(), ServerName: "exchange.test",
		Certificates: []tls.Certificate{cert}, CurvePreferences: groups,
	})
	if err != nil {
		return nil, nil, err
	}
	h.t.Cleanup(func() { tc.Close() })
	rc := &rawConn{t: h.t, tc: tc, w: wire.NewWriter(tc), r: wire.NewReader(tc, wire.FromExchange)}
	if _, err := rc.w.Write(&wire.Hello{}); err != nil {
		return rc, nil, err
	}
	m, err := rc.read()
	return rc, m, err
}

func (rc *rawConn) read() (wire.Message, error) {
	rc.tc.SetReadDeadline(time.Now().Add(wait))
	_, m, err := rc.r.Read()
	return m, err
}

// until reads frames until one of type T.
func until[T wire.Message](rc *rawConn) T {
	rc.t.Helper()
	for {
		m, err := rc.read()
		if err != nil {
			rc.t.Fatalf("waiting for %T: %v", *new(T), err)
		}
		if v, ok := m.(T); ok {
			return v
		}
	}
}

// auditHas waits for an audit event of kind with code (and device if set).
func (h *harness) auditHas(kind, code, device string) store.Event {
	h.t.Helper()
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		ev, err := h.st.Events(0, 100000)
		if err != nil {
			h.t.Fatal(err)
		}
		for _, e := range ev {
			if e.Kind == kind && (code == "" || e.Code == code) && (device == "" || e.Device == device) {
				return e
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	ev, _ := h.st.Events(0, 100000)
	var got []string
	for _, e := range ev {
		got = append(got, e.Kind+"/"+e.Code+"/"+e.Device)
	}
	h.t.Fatalf("no audit event %s/%s/%s; have %s", kind, code, device, strings.Join(got, " "))
	return store.Event{}
}

// checkGoroutines fails if goroutines started during the test outlive it.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		var n int
		for range 200 {
			if n = runtime.NumGoroutine(); n <= before {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("%d goroutines before, %d after:\n%s", before, n, buf)
	})
}

func trustID(s string) trust.DeviceID { return trust.DeviceID(s) }

type tlsCert = tls.Certificate

type techKey struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func signer(c tls.Certificate) crypto.Signer { return c.PrivateKey.(crypto.Signer) }

// newTechnician issues another technician certificate from the CA.
func (h *harness) newTechnician(name string) tls.Certificate {
	h.t.Helper()
	k, _ := ca.NewKey()
	c, err := h.fleet.CA.IssueTechnician(name, &k.PublicKey, 0)
	if err != nil {
		h.t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{c.Raw}, PrivateKey: k, Leaf: c}
}

func rogueTechnician(t *testing.T) tls.Certificate {
	return pkitest.NewCA(t, "Rogue").Technician(t, "tech-one")
}
