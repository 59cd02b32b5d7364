package sim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.bug.st/serial"
)

// waitFor bounds how long a test waits for the simulator to say something.
// It only catches a hang; no test asserts on how fast anything is.
const waitFor = 5 * time.Second

// fastConfig is an EG25-G with a ready Jazz SIM, paced for tests.
func fastConfig() Config {
	c := DefaultConfig()
	c.RegisterDelay = 20 * time.Millisecond
	c.ScanDelay = 10 * time.Millisecond
	c.ActivateDelay = 0
	c.SIMInitDelay = 30 * time.Millisecond
	c.RingInterval = 30 * time.Millisecond
	c.ReplugDelay = 0
	return c
}

// checkLeaks fails the test if a goroutine of this package outlives it.
// Register it first, so its cleanup runs last.
func checkLeaks(t *testing.T) {
	t.Cleanup(func() {
		deadline := time.Now().Add(waitFor)
		for {
			var leaked []string
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			for _, g := range strings.Split(string(buf), "\n\n") {
				if strings.Contains(g, "mehfooz/modem/sim.") && !strings.Contains(g, "testing.tRunner") {
					leaked = append(leaked, g)
				}
			}
			if len(leaked) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%d goroutines leaked:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// startModem runs a simulator on a fresh pty linked from a temporary path.
func startModem(t *testing.T, cfg Config) (*Modem, *PTY) {
	t.Helper()
	line, err := NewPTY(filepath.Join(t.TempDir(), "modem"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(line); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, line
}

// host is the test's side of the port, opened as production opens a modem:
// go.bug.st/serial, no read timeout.
type host struct {
	t    *testing.T
	port io.ReadWriteCloser

	mu   sync.Mutex
	buf  []byte
	err  error // the read error that ended the reader
	more chan struct{}
	done chan struct{}
}

func openHost(t *testing.T, path string) *host {
	t.Helper()
	p, err := serial.Open(path, &serial.Mode{BaudRate: 115200})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return newHost(t, p)
}

func newHost(t *testing.T, port io.ReadWriteCloser) *host {
	h := &host{t: t, port: port, more: make(chan struct{}, 1), done: make(chan struct{})}
	go h.read()
	t.Cleanup(h.close)
	return h
}

// hungUp waits for the port to fail, as it does when the modem hangs up.
func (h *host) hungUp() error {
	h.t.Helper()
	select {
	case <-h.done:
	case <-time.After(waitFor):
		h.t.Fatal("the port did not hang up")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

func (h *host) read() {
	defer close(h.done)
	b := make([]byte, 4096)
	for {
		n, err := h.port.Read(b)
		h.mu.Lock()
		h.buf = append(h.buf, b[:n]...)
		if err != nil {
			h.err = err
		}
		h.mu.Unlock()
		select {
		case h.more <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

func (h *host) close() {
	h.port.Close()
	<-h.done
}

// send writes a command line; "AT" and CR are added.
func (h *host) send(cmd string) {
	h.t.Helper()
	if _, err := h.port.Write([]byte("AT" + cmd + "\r")); err != nil {
		h.t.Fatalf("write AT%s: %v", cmd, err)
	}
}

func (h *host) write(b string) {
	h.t.Helper()
	if _, err := h.port.Write([]byte(b)); err != nil {
		h.t.Fatalf("write %q: %v", b, err)
	}
}

// take waits until f finds what it wants in the buffer; f returns how many
// bytes to consume and whether it found it, or an error if the buffer can
// no longer match.
func (h *host) take(what string, f func(b []byte) (int, bool, error)) {
	h.t.Helper()
	deadline := time.After(waitFor)
	for {
		h.mu.Lock()
		n, ok, ferr := f(h.buf)
		if ok {
			h.buf = h.buf[n:]
			h.mu.Unlock()
			return
		}
		err, got := h.err, string(h.buf)
		h.mu.Unlock()
		if ferr != nil {
			h.t.Fatalf("waiting for %s: %v", what, ferr)
		}
		if err != nil {
			h.t.Fatalf("waiting for %s: port error %v; buffer %q", what, err, got)
		}
		select {
		case <-h.more:
		case <-deadline:
			h.t.Fatalf("waiting for %s: timed out; buffer %q", what, got)
		}
	}
}

// raw expects these exact bytes next.
func (h *host) raw(want string) {
	h.t.Helper()
	h.take(strconvQuote(want), func(b []byte) (int, bool, error) {
		n := min(len(b), len(want))
		if string(b[:n]) != want[:n] {
			return 0, false, fmt.Errorf("got %q, want %q", b, want)
		}
		return len(want), len(b) >= len(want), nil
	})
}

func strconvQuote(s string) string { return "\"" + strings.ReplaceAll(s, "\r\n", `\r\n`) + "\"" }

// line returns the next non-empty line, CR and LF both ending a line; the
// "> " prompt counts as a line.
func (h *host) line() string {
	h.t.Helper()
	var got string
	h.take("a line", func(b []byte) (int, bool, error) {
		i := 0
		for i < len(b) && (b[i] == '\r' || b[i] == '\n') {
			i++
		}
		rest := b[i:]
		if string(rest) == "> " {
			got = "> "
			return len(b), true, nil
		}
		j := bytes.IndexAny(rest, "\r\n")
		if j < 0 {
			return 0, false, nil
		}
		got = string(rest[:j])
		for j < len(rest) && (rest[j] == '\r' || rest[j] == '\n') {
			j++
		}
		return i + j, true, nil
	})
	return got
}

// expect reads lines and compares them with want.
func (h *host) expect(want ...string) {
	h.t.Helper()
	for _, w := range want {
		if got := h.line(); got != w {
			h.t.Fatalf("got line %q, want %q", got, w)
		}
	}
}

// cmd sends a command and expects the lines of its response.
func (h *host) cmd(cmd string, want ...string) {
	h.t.Helper()
	h.send(cmd)
	h.expect(want...)
}

// until reads lines until one equals want, and returns those before it.
func (h *host) until(want string) []string {
	h.t.Helper()
	var skipped []string
	for {
		l := h.line()
		if l == want {
			return skipped
		}
		skipped = append(skipped, l)
	}
}

// boot waits for the EG25's boot URCs, then turns echo off.
func (h *host) boot() {
	h.t.Helper()
	h.expect("RDY", "+CFUN: 1", "+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE")
	h.cmd("E0", "ATE0", "OK")
}

// waitStatus polls the modem until ok accepts its status.
func waitStatus(t *testing.T, m *Modem, what string, ok func(Status) bool) Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	for {
		s := m.Status()
		if ok(s) {
			return s
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: status %v", what, s.Lines())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Jazz's LTE cell of NewCell("41001", LTE, 0), as the URCs show it.
const (
	jazzTAC = `"2100"`
	jazzCI  = `"00A10001"`
)

// reregister turns the radio off, sets the registration URCs to n and
// turns the radio on again, leaving the modem searching.
func (h *host) reregister(n int) {
	h.t.Helper()
	h.cmd("+CFUN=0", "OK")
	h.cmd(fmt.Sprintf("+CREG=%d;+CGREG=%d;+CEREG=%d", min(n, 2), n, n), "OK")
	h.cmd("+CFUN=1", "+CREG: 2", "+CGREG: 2", "+CEREG: 2", "OK")
}
