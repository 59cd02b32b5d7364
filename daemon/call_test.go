package daemon

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"log/slog"
	"math"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/daemon/pid1"
	"mehfooz/daemon/state"
	"mehfooz/exchange"
	"mehfooz/exchange/relay"
	"mehfooz/exchange/store"
	"mehfooz/modem"
	"mehfooz/trust"
	"mehfooz/trust/ca"
	"mehfooz/trust/directory"
	"mehfooz/trust/enroll"
	"mehfooz/trust/keystore"
	"mehfooz/trust/seal"
	"mehfooz/trust/trusttest"
	"mehfooz/voice"
	"mehfooz/voice/audio"
)

// system is a real exchange with its TURN relay on loopback, and handsets
// that are real daemons: keystore, link, calls and audio pipeline.
type system struct {
	t      *testing.T
	fleet  *trusttest.Fleet
	x      *exchange.Exchange
	relay  *relay.Relay
	addr   string
	prov   *Provisioning
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func testLog(t *testing.T) *slog.Logger {
	if os.Getenv("DAEMON_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

func newSystem(t *testing.T) *system {
	t.Helper()
	// crypto/tls and pion check certificates with the host clock.
	f := trusttest.NewAt(t, time.Now())
	k, err := ca.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := f.CA.IssueExchange(&k.PublicKey, []string{"127.0.0.1"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(t.TempDir(), "exchange.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rl, err := relay.New(relay.Config{
		UDP: pc, RelayIP: net.ParseIP("127.0.0.1"), MinPort: 40000, MaxPort: 40999,
		URLs: []string{"turn:" + pc.LocalAddr().String() + "?transport=udp"}, Logger: testLog(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rl.Close() })
	x, err := exchange.New(exchange.Config{
		Verifier: f.Verifier, Certificate: tls.Certificate{Certificate: [][]byte{sc.Raw}, PrivateKey: k, Leaf: sc},
		Store: st, Relay: rl, Clock: clock.Real{}, Logger: testLog(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &system{t: t, fleet: f, x: x, relay: rl, addr: hl.Addr().String()}
	s.prov = &Provisioning{Exchange: s.addr, ExchangeName: "127.0.0.1", caCert: f.CA.Certificate()}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	served := make(chan error, 1)
	go func() { served <- x.Serve(ctx, hl, nil) }()
	t.Cleanup(func() {
		cancel()
		s.wg.Wait()
		if err := <-served; err != nil {
			t.Errorf("exchange: %v", err)
		}
	})
	return s
}

// handset is one running phoned, minus the modem and the screen.
type handset struct {
	id    trust.DeviceID
	d     *Daemon
	keys  *Keys
	cert  []byte
	heard *heard
	calls *Calls // set by start
}

// heard is a call's playout sink: it keeps the loudest frame level and
// counts frames, paced by the real clock like a sound card.
type heard struct {
	mu     sync.Mutex
	frames int
	loud   int // frames whose RMS is above -30 dBFS
}

func (h *heard) Format() audio.Format { return audio.Voice }
func (h *heard) WriteFrame(pcm []int16) error {
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	rms := math.Sqrt(sum/float64(len(pcm))) / 32768
	h.mu.Lock()
	h.frames++
	if rms > 0.03 {
		h.loud++
	}
	h.mu.Unlock()
	return nil
}
func (h *heard) Close() error { return nil }
func (h *heard) counts() (int, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.frames, h.loud
}

// handset makes, enrolls and registers a handset; start runs it.
func (s *system) handset(id trust.DeviceID) *handset {
	t := s.t
	t.Helper()
	d := New(clock.Real{}, testLog(t).With("device", id), state.Snapshot{Board: "sim"})
	dir := t.TempDir()
	keys, err := NewKeys(d, filepath.Join(dir, "keystore"), keystore.FileSecret{Path: filepath.Join(dir, "secret")},
		id, s.fleet.Verifier, keystore.Options{Params: seal.Test})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Intent(context.Background(), state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")}); err != nil {
		t.Fatal(err)
	}
	reqPEM, err := keys.EnrollRequest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(reqPEM)
	req, err := enroll.ParseRequest(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := s.fleet.CA.IssueDevice(req, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.InstallCertificate(context.Background(), ca.EncodeCertificatePEM(cert)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.x.Enroll(cert, "test"); err != nil {
		t.Fatal(err)
	}
	return &handset{id: id, d: d, keys: keys, cert: cert.Raw, heard: &heard{}}
}

// publish lists the handsets in a directory where all may call all, and
// publishes a revocation list revoking revoked.
func (s *system) publish(hs []*handset, revoked ...trust.DeviceID) {
	s.t.Helper()
	d := &directory.Directory{Version: uint64(time.Now().UnixNano()), IssuedAt: time.Now(), Rules: []directory.Rule{{From: "staff", To: "staff"}}}
	for _, h := range hs {
		d.Entries = append(d.Entries, directory.Entry{ID: h.id, Name: "Officer " + string(h.id[len(h.id)-1:]), Office: "Test Division",
			Fingerprint: trust.FingerprintOf(h.cert), Groups: []string{"staff"}})
	}
	if _, err := s.x.PublishDirectory(s.fleet.SignDirectory(d), "test"); err != nil {
		s.t.Fatal(err)
	}
	if _, err := s.x.PublishRevocations(s.fleet.SignRevocations(s.fleet.Revocations(revoked...)), "test"); err != nil {
		s.t.Fatal(err)
	}
}

// start runs the handset's link and calls until the system stops. Its
// capture is a 440 Hz tone paced by the real clock.
func (s *system) start(h *handset) {
	s.t.Helper()
	calls := NewCalls(h.d, CallsConfig{Audio: func(voice.CallInfo) (audio.Source, audio.Sink, error) {
		tone, err := audio.NewTone(audio.Voice, 440, 0.3)
		if err != nil {
			return nil, nil, err
		}
		return audio.PaceSource(tone, clock.Real{}, 0), audio.PaceSink(h.heard, clock.Real{}, 0), nil
	}})
	h.calls = calls
	svc := h.d.LinkService(LinkConfig{Prov: s.prov, Verifier: s.fleet.Verifier, Keys: h.keys, Clock: clock.Real{}, Calls: calls})
	ctx, cancel := context.WithCancel(context.Background())
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		(&pid1.Supervisor{Log: testLog(s.t), Clock: clock.Real{}}).Run(ctx, svc)
		h.d.Wait()
	}()
	s.t.Cleanup(cancel)
}

// waitFor polls h's state until ok holds.
func waitFor(t *testing.T, h *handset, what string, ok func(state.Snapshot) bool) state.Snapshot {
	t.Helper()
	ch, cancel := h.d.Hub().Subscribe()
	defer cancel()
	timeout := time.After(30 * time.Second)
	var last state.Snapshot
	for {
		select {
		case s := <-ch:
			last = s
			if ok(s) {
				return s
			}
		case <-timeout:
			t.Fatalf("%s: %s: not reached; last state: link %+v call %+v alerts %+v", h.id, what, last.Link, last.Call, last.Alerts)
		}
	}
}

func online(id trust.DeviceID) func(state.Snapshot) bool {
	return func(s state.Snapshot) bool {
		for _, c := range s.Contacts {
			if c.ID == string(id) && c.Online && c.Callable {
				return s.Link.Connected
			}
		}
		return false
	}
}

func phase(p state.CallPhase) func(state.Snapshot) bool {
	return func(s state.Snapshot) bool { return s.Call.Phase == p }
}

func TestSecureCallThroughExchangeAndRelay(t *testing.T) {
	s := newSystem(t)
	a, b := s.handset("pk-gov-0001"), s.handset("pk-gov-0002")
	s.publish([]*handset{a, b})
	// Both modems are up before the call: the boot's first bearer.
	for _, h := range []*handset{a, b} {
		h.d.publishModem(modem.Status{Phase: modem.PhaseDataUp, IP: "10.64.0.7"})
	}
	s.start(a)
	s.start(b)
	sa := waitFor(t, a, "B online", online(b.id))
	waitFor(t, b, "A online", online(a.id))
	if sa.Link.Group != "SecP384r1MLKEM1024" {
		t.Fatalf("link key exchange %q, want the P-384 + ML-KEM-1024 hybrid", sa.Link.Group)
	}

	if err := a.d.Intent(context.Background(), state.Intent{Kind: state.IntentDial, ContactID: string(b.id)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, "ringing", phase(state.CallIncoming))
	if err := b.d.Intent(context.Background(), state.Intent{Kind: state.IntentAnswer}); err != nil {
		t.Fatal(err)
	}
	hasSAS := func(s state.Snapshot) bool { return s.Call.Phase == state.CallConnected && s.Call.SAS != "" }
	ca, cb := waitFor(t, a, "connected", hasSAS).Call, waitFor(t, b, "connected", hasSAS).Call
	if ca.SAS != cb.SAS {
		t.Fatalf("SAS differs: caller %q, callee %q", ca.SAS, cb.SAS)
	}
	if ca.PeerName != "Officer 2" || cb.PeerName != "Officer 1" {
		t.Fatalf("peer names %q / %q", ca.PeerName, cb.PeerName)
	}
	// Speech flows both ways: the tone arrives as loud frames.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, la := a.heard.counts()
		_, lb := b.heard.counts()
		if la > 25 && lb > 25 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("audio did not flow: caller heard %d loud frames, callee %d", la, lb)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, h := range []*handset{a, b} {
		if err := h.d.Intent(context.Background(), state.Intent{Kind: state.IntentSASVerdict, Match: true}); err != nil {
			t.Fatal(err)
		}
	}

	// The callee's modem gets a new address mid-call: the daemon restarts
	// the call's ICE (a new TURN allocation), and speech goes on.
	made := s.relay.Made(string(b.id))
	linkSince := b.d.Hub().Current().Link.Since
	b.d.publishModem(modem.Status{Phase: modem.PhaseDataUp, IP: "10.64.0.9"})
	// The link to the exchange is redialled over the new bearer.
	waitFor(t, b, "the exchange link redialled", func(s state.Snapshot) bool { return s.Link.Connected && s.Link.Since.After(linkSince) })
	for deadline := time.Now().Add(30 * time.Second); b.calls.bearerChanges.Load() == 0 || s.relay.Made(string(b.id)) <= made; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("a new bearer never reached the call: %d notices, %d TURN allocations (had %d)", b.calls.bearerChanges.Load(), s.relay.Made(string(b.id)), made)
		}
	}
	_, la0 := a.heard.counts()
	_, lb0 := b.heard.counts()
	deadline = time.Now().Add(20 * time.Second)
	for {
		_, la := a.heard.counts()
		_, lb := b.heard.counts()
		if la > la0+50 && lb > lb0+50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("audio stopped after the new bearer: caller heard %d more loud frames, callee %d", la-la0, lb-lb0)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if p := b.d.Hub().Current().Call.Phase; p != state.CallConnected {
		t.Fatalf("after the new bearer the call is %q", p)
	}
	if err := a.d.Intent(context.Background(), state.Intent{Kind: state.IntentHangUp}); err != nil {
		t.Fatal(err)
	}
	ea := waitFor(t, a, "ended", phase(state.CallEnded)).Call
	eb := waitFor(t, b, "ended", phase(state.CallEnded)).Call
	if ea.EndReason != "hung-up" || eb.EndReason != "remote-hung-up" {
		t.Fatalf("end reasons %q / %q", ea.EndReason, eb.EndReason)
	}
}

func TestRevokedMidCallEndsTheCall(t *testing.T) {
	s := newSystem(t)
	a, b := s.handset("pk-gov-0001"), s.handset("pk-gov-0002")
	s.publish([]*handset{a, b})
	s.start(a)
	s.start(b)
	waitFor(t, a, "B online", online(b.id))
	waitFor(t, b, "A online", online(a.id))
	if err := a.d.Intent(context.Background(), state.Intent{Kind: state.IntentDial, ContactID: string(b.id)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, "ringing", phase(state.CallIncoming))
	if err := b.d.Intent(context.Background(), state.Intent{Kind: state.IntentAnswer}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, a, "connected", func(s state.Snapshot) bool { return s.Call.Phase == state.CallConnected && s.Call.SAS != "" })

	s.publish([]*handset{a, b}, b.id)
	end := waitFor(t, a, "ended", phase(state.CallEnded))
	if end.Call.EndReason != "security: peer revoked" {
		t.Fatalf("end reason %q, want the revocation", end.Call.EndReason)
	}
	waitFor(t, a, "revoked alert", func(s state.Snapshot) bool {
		for _, al := range s.Alerts {
			if al.Kind == state.AlertRevokedPeer && al.Severity == state.SeverityCritical {
				return true
			}
		}
		return false
	})
	// The revoked handset is refused by the exchange from now on.
	waitFor(t, b, "refused", func(s state.Snapshot) bool {
		for _, al := range s.Alerts {
			if al.Kind == state.AlertExchange {
				return !s.Link.Connected
			}
		}
		return false
	})
}
