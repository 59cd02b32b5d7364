package api

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	"mehfooz/daemon/state"
)

type backend struct {
	hub *state.Hub
	mu  sync.Mutex
	got []state.Intent
	pin []byte // the PIN slice the last unlock carried, to check it is wiped
	png []byte
}

func (b *backend) Subscribe() (<-chan state.Snapshot, func()) { return b.hub.Subscribe() }

func (b *backend) Intent(_ context.Context, in state.Intent) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if in.Kind == state.IntentUnlock {
		b.pin = in.PIN
		if string(in.PIN) != "2468" {
			return fmt.Errorf("unlock: %w: wrong PIN", ErrRejected)
		}
	}
	cp := in
	cp.PIN = nil
	b.got = append(b.got, cp)
	return nil
}

func (b *backend) EnrollRequest(context.Context) ([]byte, error) {
	return []byte("-----BEGIN CERTIFICATE REQUEST-----\n"), nil
}

func (b *backend) InstallCertificate(_ context.Context, pem []byte) error {
	if string(pem) != "good" {
		return fmt.Errorf("install: %w: not ours", ErrRejected)
	}
	return nil
}

func (b *backend) Screenshot(context.Context) ([]byte, error) {
	if b.png == nil {
		return nil, ErrNoScreen
	}
	return b.png, nil
}

// serve starts a Server on a real unix socket in a temp dir and returns a
// Client for it; the server stops and is waited for when the test ends.
func serve(t *testing.T, b *backend, allow func(net.Conn) error) *Client {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "phoned.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- NewServer(b, slog.New(slog.NewTextHandler(io.Discard, nil)), allow).Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return NewClient(func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	})
}

func newBackend() *backend {
	return &backend{hub: state.NewHub(clock.NewFake(time.Unix(1e9, 0)), state.Snapshot{Board: "sim"})}
}

func TestStateAndWatch(t *testing.T) {
	b := newBackend()
	c := serve(t, b, SameUser(os.Getuid()))
	ctx := context.Background()
	s, err := c.State(ctx)
	if err != nil || s.Board != "sim" {
		t.Fatalf("State = %+v, %v", s, err)
	}
	seen := make(chan uint64, 10)
	watchDone := make(chan error, 1)
	go func() {
		watchDone <- c.Watch(ctx, func(s state.Snapshot) bool {
			seen <- s.Seq
			return s.Modem.Phase != state.ModemDataUp
		})
	}()
	if first := <-seen; first != 0 {
		t.Fatalf("watch began at seq %d, want the current (0)", first)
	}
	b.hub.Update(func(s *state.Snapshot) { s.Modem.Phase = state.ModemDataUp })
	if next := <-seen; next != 1 {
		t.Fatalf("watch saw seq %d, want 1", next)
	}
	if err := <-watchDone; err != nil {
		t.Fatalf("Watch: %v", err)
	}
}

func TestIntentRoundTripAndRejection(t *testing.T) {
	b := newBackend()
	c := serve(t, b, nil)
	ctx := context.Background()
	if err := c.Intent(ctx, state.Intent{Kind: state.IntentDial, ContactID: "pk-gov-0002"}); err != nil {
		t.Fatalf("dial: %v", err)
	}
	pin := []byte("1111")
	err := c.Intent(ctx, state.Intent{Kind: state.IntentUnlock, PIN: pin})
	if !errors.Is(err, ErrRejected) {
		t.Fatalf("wrong PIN: err = %v, want ErrRejected", err)
	}
	if string(pin) != "\x00\x00\x00\x00" {
		t.Fatalf("client left the PIN in memory: %q", pin)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if string(b.pin) != "\x00\x00\x00\x00" {
		t.Fatalf("server left the PIN in memory: %q", b.pin)
	}
	if len(b.got) != 1 || b.got[0].ContactID != "pk-gov-0002" {
		t.Fatalf("backend got %+v", b.got)
	}
}

func TestBadIntentsRefusedBeforeBackend(t *testing.T) {
	b := newBackend()
	c := serve(t, b, nil)
	for _, in := range []state.Intent{
		{Kind: "format-disk"},
		{Kind: state.IntentDial},
		{Kind: state.IntentUnlock, PIN: []byte("12")},
		{Kind: state.IntentUnlock, PIN: []byte("12a4")},
		{Kind: state.IntentSetSIMPIN, PIN: []byte("123456789")},
		{Kind: state.IntentSetSIMPIN, PIN: []byte("12 4")},
		{Kind: state.IntentAckAlert},
	} {
		if err := c.Intent(context.Background(), in); err == nil || errors.Is(err, ErrRejected) {
			t.Errorf("intent %+v: err = %v, want a bad-request error", in, err)
		}
	}
	if len(b.got) != 0 {
		t.Fatalf("backend saw %d bad intents", len(b.got))
	}
}

func TestScreenshot(t *testing.T) {
	b := newBackend()
	c := serve(t, b, nil)
	if _, err := c.Screenshot(context.Background()); !errors.Is(err, ErrNoScreen) {
		t.Fatalf("no screen: err = %v, want ErrNoScreen", err)
	}
	b.png = []byte("\x89PNG fake bytes")
	got, err := c.Screenshot(context.Background())
	if err != nil || string(got) != string(b.png) {
		t.Fatalf("Screenshot = %q, %v", got, err)
	}
}

func TestEnrollRoutes(t *testing.T) {
	c := serve(t, newBackend(), nil)
	req, err := c.EnrollRequest(context.Background())
	if err != nil || !strings.HasPrefix(string(req), "-----BEGIN CERTIFICATE REQUEST") {
		t.Fatalf("EnrollRequest = %q, %v", req, err)
	}
	if err := c.InstallCertificate(context.Background(), []byte("good")); err != nil {
		t.Fatalf("install good: %v", err)
	}
	if err := c.InstallCertificate(context.Background(), []byte("bad")); !errors.Is(err, ErrRejected) {
		t.Fatalf("install bad: err = %v, want ErrRejected", err)
	}
}

func TestPeerOfAnotherUserRefused(t *testing.T) {
	b := newBackend()
	c := serve(t, b, SameUser(os.Getuid()+1))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.State(ctx); err == nil {
		t.Fatal("a peer of another uid got the state")
	}
}

func TestServeStopsWatchersAndLeaksNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		b := newBackend()
		sock := filepath.Join(t.TempDir(), "s")
		ln, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- NewServer(b, slog.New(slog.DiscardHandler), nil).Serve(ctx, ln) }()
		c := NewClient(func(ctx context.Context) (net.Conn, error) { return net.Dial("unix", sock) })
		watching := make(chan struct{})
		watchDone := make(chan error, 1)
		go func() {
			watchDone <- c.Watch(context.Background(), func(state.Snapshot) bool {
				select {
				case <-watching:
				default:
					close(watching)
				}
				return true
			})
		}()
		<-watching
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		<-watchDone
	}()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Fatalf("goroutines: %d before, %d after", before, n)
	}
}

func FuzzDecodeIntent(f *testing.F) {
	f.Add([]byte(`{"kind":"dial","contact_id":"pk-gov-0002"}`))
	f.Add([]byte(`{"kind":"unlock","pin":"MjQ2OA=="}`))
	f.Add([]byte(`{"kind":"mute","on":true} {}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := DecodeIntent(b)
		if err != nil {
			return
		}
		if validate(in) != nil {
			t.Fatalf("DecodeIntent accepted an invalid intent: %+v", in)
		}
	})
}

// An intent refused after its PIN was decoded (a field that follows it is
// unknown, trailing data, a bad PIN) leaves no copy of the PIN behind.
func TestDecodeIntentWipesPINWhenRefused(t *testing.T) {
	for _, b := range []string{
		`{"kind":"unlock","pin":"MjQ2ODEw","colour":"red"}`,
		`{"kind":"unlock","pin":"MjQ2ODEw"} {}`,
		`{"kind":"unlock","pin":"MjQ2ODEwYQ=="}`,
		`{"kind":"unlock","pin":"MjQ2ODEw","on":"yes"}`,
	} {
		var in state.Intent
		if err := decodeIntent([]byte(b), &in); err == nil {
			t.Fatalf("%s: accepted", b)
		}
		if in.PIN != nil {
			t.Errorf("%s: refused, but the PIN %q is still held", b, in.PIN)
		}
	}
}
