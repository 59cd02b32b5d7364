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
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	cable := os.NewFile(uintptr(fds[1]), "cable")
	t.Cleanup(func() { cable.Close() })
	return os.NewFile(uintptr(fds[0]), "bench"), func(context.Context) (net.Conn, error) { return net.FileConn(cable) }
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
// request: the line is not lost, and within a few tries the next
// technician is served.
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
		served := false
		for try := 0; try < 4 && !served; try++ {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			c := NewBenchClient(dial)
			_, err := c.EnrollRequest(ctx)
			served = err == nil
			c.Close()
			cancel()
		}
		if !served {
			t.Fatalf("after a request cut as %q the line never served again", cut)
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
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	end, cable := os.NewFile(uintptr(fds[0]), "bench"), os.NewFile(uintptr(fds[1]), "cable")
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
