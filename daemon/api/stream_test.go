package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"mehfooz/daemon/state"
)

// benchLine is a bench line made of a real socket pair: the daemon's end
// as a plain byte stream (as a serial port is), and a dial func that
// reaches the cable's end, as a technician's host does each time it plugs
// in. Closing a dialled conn does not cut the line.
func benchLine(t *testing.T) (daemonEnd io.ReadWriteCloser, dial func(context.Context) (net.Conn, error)) {
	t.Helper()
	end, cable := linePair(t)
	t.Cleanup(func() { cable.Close() })
	return end, func(context.Context) (net.Conn, error) { return net.FileConn(cable) }
}

// linePair is a serial line's two ends as pollable files (a non-blocking
// socket pair): the daemon's and the cable's.
func linePair(t *testing.T) (end, cable *os.File) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(fds[0]), "bench"), os.NewFile(uintptr(fds[1]), "cable")
}

func serveBench(t *testing.T, b *backend) (dial func(context.Context) (net.Conn, error), stop func()) {
	t.Helper()
	end, dial := benchLine(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- NewBenchServer(b, slog.New(slog.DiscardHandler)).Serve(ctx, StreamListener(end)) }()
	var stopped bool
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}
	t.Cleanup(stop)
	return dial, stop
}

func TestBenchLineServesEnrollmentOnly(t *testing.T) {
	b := newBackend()
	dial, _ := serveBench(t, b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Two technicians' sessions one after the other over the same line,
	// each a few requests on one connection.
	for range 2 {
		c := NewBenchClient(dial)
		if s, err := c.State(ctx); err != nil || s.Board != "sim" {
			t.Fatalf("State = %+v, %v", s, err)
		}
		if req, err := c.EnrollRequest(ctx); err != nil || !strings.HasPrefix(string(req), "-----BEGIN CERTIFICATE REQUEST") {
			t.Fatalf("EnrollRequest = %q, %v", req, err)
		}
		if err := c.InstallCertificate(ctx, []byte("bad")); !errors.Is(err, ErrRejected) {
			t.Fatalf("install bad: %v, want ErrRejected", err)
		}
		if err := c.InstallCertificate(ctx, []byte("good")); err != nil {
			t.Fatalf("install good: %v", err)
		}
		c.Close()
	}
	// Nothing else is on the line: no intent reaches the daemon, no screen
	// and no state stream leave it.
	c := NewBenchClient(dial)
	defer c.Close()
	for _, in := range []state.Intent{{Kind: state.IntentUnlock, PIN: []byte("2468")}, {Kind: state.IntentDial, ContactID: "pk-gov-0002"},
		{Kind: state.IntentChangePIN, PIN: []byte("1357")}, {Kind: state.IntentSetDuressPIN, PIN: []byte("1357")}} {
		if err := c.Intent(ctx, in); err == nil || errors.Is(err, ErrRejected) {
			t.Errorf("intent %s on the bench line: err = %v, want forbidden", in.Kind, err)
		}
	}
	if _, err := c.Screenshot(ctx); err == nil {
		t.Error("screenshot served on the bench line")
	}
	if err := c.Watch(ctx, func(state.Snapshot) bool { return false }); err == nil {
		t.Error("watch served on the bench line")
	}
	b.mu.Lock()
	if len(b.got) != 0 || b.pin != nil {
		t.Fatalf("intents reached the backend over the bench line: %+v", b.got)
	}
	b.mu.Unlock()
	// The one intent it takes: the SIM PIN, checked like any other.
	if err := c.Intent(ctx, state.Intent{Kind: state.IntentSetSIMPIN, PIN: []byte("12")}); err == nil {
		t.Error("a 2-digit SIM PIN was taken")
	}
	if err := c.Intent(ctx, state.Intent{Kind: state.IntentSetSIMPIN, PIN: []byte("4321")}); err != nil {
		t.Fatalf("SIM PIN on the bench line: %v", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.got) != 1 || b.got[0].Kind != state.IntentSetSIMPIN {
		t.Fatalf("backend got %+v, want the SIM PIN intent", b.got)
	}
}

// TestBenchLineRecoversFromCutRequest pulls the cable in the middle of a
// request: the next request gets its answer or a clear error within a few
// seconds (never a hang), and the one after that is served.
func TestBenchLineRecoversFromCutRequest(t *testing.T) {
	dial, _ := serveBench(t, newBackend())
	for _, cut := range []string{
		"GET /v1/sta",
		"POST /v1/enroll/certificate HTTP/1.1\r\nHost: phoned\r\nContent-Length: 40\r\n\r\ngo",
		"\x00\xff garbage that is no request at all\r\n\r\n",
	} {
		raw, err := dial(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Write([]byte(cut)); err != nil {
			t.Fatal(err)
		}
		raw.Close()
		c := NewBenchClient(dial)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err = c.EnrollRequest(ctx)
		if errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("after a request cut as %q the next one hung", cut)
		}
		cancel()
		// A POST is not sent twice on its own; the caller sends it again.
		ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
		err = c.InstallCertificate(ctx, []byte("good"))
		if err != nil && !errors.Is(err, ErrOutOfStep) {
			t.Fatalf("after a request cut as %q: %v", cut, err)
		}
		if err != nil {
			err = c.InstallCertificate(ctx, []byte("good"))
		}
		cancel()
		c.Close()
		if err != nil {
			t.Fatalf("after a request cut as %q the line never served again: %v", cut, err)
		}
	}
}

func TestStreamListenerStopsItsReader(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		dial, stop := serveBench(t, newBackend())
		c := NewBenchClient(dial)
		defer c.Close()
		if _, err := c.State(context.Background()); err != nil {
			t.Fatal(err)
		}
		stop()
	}()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("goroutines: %d before, %d after\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestStreamConnReadDeadline(t *testing.T) {
	end, _ := benchLine(t)
	ln := StreamListener(end)
	defer ln.Close()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past a deadline: %v", err)
	}
	c.SetReadDeadline(time.Time{})
	c.Close()
	// The connection handed back, the next Accept gets a fresh one.
	c2, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read on a closed conn: %v", err)
	}
	c2.Close()
}

// TestBenchServeEndsWithItsLine: when the line's stream ends (a USB
// serial hang-up), Serve returns the error, so the supervisor reopens it.
func TestBenchServeEndsWithItsLine(t *testing.T) {
	end, cable := linePair(t)
	done := make(chan error, 1)
	go func() {
		done <- NewBenchServer(newBackend(), slog.New(slog.DiscardHandler)).Serve(context.Background(), StreamListener(end))
	}()
	cable.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Serve returned nil after its line ended")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve still running 5 s after its line ended")
	}
}

// TestBenchClientSkipsStaleReplies: a client sends a request and leaves
// before its reply arrives; the next client must not take that reply (a
// 200) for the answer to its own request (a refusal).
func TestBenchClientSkipsStaleReplies(t *testing.T) {
	dial, _ := serveBench(t, newBackend())
	raw, err := dial(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Write([]byte("GET /v1/state HTTP/1.1\r\nHost: phoned\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	time.Sleep(200 * time.Millisecond) // the stale reply is on the line
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := NewBenchClient(dial)
	defer c.Close()
	if err := c.Intent(ctx, state.Intent{Kind: state.IntentUnlock, PIN: []byte("2468")}); err == nil {
		t.Fatal("a refused intent reported as done: the stale 200 was taken for its reply")
	}
	if s, err := c.State(ctx); err != nil || s.Board != "sim" {
		t.Fatalf("State after a stale reply: %+v, %v", s, err)
	}
}

// TestBenchViewHidesWhoIsWho: the bench line's state carries no contact,
// no call peer, no alert text and no address.
func TestBenchViewHidesWhoIsWho(t *testing.T) {
	b := newBackend()
	b.hub.Update(func(s *state.Snapshot) {
		s.Contacts = []state.Contact{{ID: "pk-gov-0002", Name: "Bilal Raza", Online: true}}
		s.Call = state.Call{Phase: state.CallConnected, ID: "c1", PeerID: "pk-gov-0002", PeerName: "Bilal Raza", SAS: "427 608"}
		s.Alerts = []state.Alert{{ID: "a1", Title: "Contact revoked", Text: "Bilal Raza was revoked"}}
		s.Modem.IP, s.Modem.Phase = "10.64.0.7", state.ModemDataUp
	})
	dial, _ := serveBench(t, b)
	c := NewBenchClient(dial)
	defer c.Close()
	s, err := c.State(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Contacts) != 0 || s.Call.PeerID != "" || s.Call.PeerName != "" || s.Call.ID != "" || s.Modem.IP != "" ||
		len(s.Alerts) != 1 || s.Alerts[0].Text != "" {
		t.Fatalf("bench state shows too much: %+v", s)
	}
	if s.Call.Phase != state.CallConnected || s.Call.SAS != "427 608" || s.Modem.Phase != state.ModemDataUp || s.Alerts[0].Title != "Contact revoked" {
		t.Fatalf("bench state lost what a technician needs: %+v", s)
	}
}

// TestStreamBytesStayInOrderForTheNextConn: what a closed conn did not
// read goes to the next one, in order, and never back to the closed one.
func TestStreamBytesStayInOrderForTheNextConn(t *testing.T) {
	end, cable := linePair(t)
	defer cable.Close()
	ln := StreamListener(end)
	defer ln.Close()
	a, _ := ln.Accept()
	cable.Write([]byte("hello "))
	buf := make([]byte, 3)
	if n, err := io.ReadFull(a, buf); err != nil || string(buf[:n]) != "hel" {
		t.Fatalf("first read: %q, %v", buf[:n], err)
	}
	a.Close()
	cable.Write([]byte("world"))
	b, _ := ln.Accept()
	defer b.Close()
	if _, err := a.Read(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read on the closed conn: %v", err)
	}
	got := make([]byte, 8)
	if _, err := io.ReadFull(b, got); err != nil || string(got) != "lo world" {
		t.Fatalf("next conn read %q, %v; want \"lo world\"", got, err)
	}
}

// TestStreamDeadlineClearedNeverFires: a deadline cleared just before it
// would pass must not fail a later read.
func TestStreamDeadlineClearedNeverFires(t *testing.T) {
	end, cable := linePair(t)
	defer cable.Close()
	ln := StreamListener(end)
	defer ln.Close()
	c, _ := ln.Accept()
	defer c.Close()
	buf := make([]byte, 1)
	for i := range 300 {
		c.SetReadDeadline(time.Now().Add(20 * time.Microsecond))
		for start := time.Now(); time.Since(start) < 20*time.Microsecond; {
		}
		c.SetReadDeadline(time.Time{})
		cable.Write([]byte{byte(i)})
		if _, err := c.Read(buf); err != nil {
			t.Fatalf("round %d: a read after clearing the deadline: %v", i, err)
		}
	}
	// A deadline set in the past wakes a read already waiting.
	got := make(chan error, 1)
	go func() { _, err := c.Read(buf); got <- err }()
	time.Sleep(20 * time.Millisecond)
	c.SetReadDeadline(time.Now().Add(-time.Second))
	select {
	case err := <-got:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("blocked read after a past deadline: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a past deadline did not wake a blocked read")
	}
}

// TestStreamWriteGivesUpOnAHostThatStoppedReading: a reply the line never
// takes fails after writeLimit instead of stalling the line for good, and
// the listener still closes.
func TestStreamWriteGivesUpOnAHostThatStoppedReading(t *testing.T) {
	old := writeLimit
	writeLimit = 200 * time.Millisecond
	defer func() { writeLimit = old }()
	end, cable := linePair(t)
	defer cable.Close() // never read: the host stopped reading
	ln := StreamListener(end)
	c, _ := ln.Accept()
	big := make([]byte, 1<<20) // more than the socket buffers hold
	done := make(chan error, 1)
	go func() { _, err := c.Write(big); done <- err }()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("write to a line nobody reads: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("write still blocked 5 s after its limit")
	}
	c.Close()
	closed := make(chan struct{})
	go func() { ln.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close blocked")
	}
}
