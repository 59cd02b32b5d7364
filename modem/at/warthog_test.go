package at_test

// These tests run github.com/warthog618/modem's at package, v0.4.0 (the
// newest release; its at.go is unchanged at the repository head), against the
// scripted input that our engine's transcripts replay, and assert that each
// fault we built our own engine to avoid really happens there. If a later
// version fixes one, its test fails and docs/modem.md should be revisited.
//
// Each test is deterministic: it waits on what the driver wrote or on a
// channel, never on a race; the only timer is the driver's own command
// timeout in the stale-reply case, where nothing answers before it.

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	wat "github.com/warthog618/modem/at"
)

// scripted is the modem side: what the driver writes arrives on writes, and
// send feeds the driver's reads.
type scripted struct {
	r      *io.PipeReader
	w      *io.PipeWriter
	writes chan string
}

func newScripted(t *testing.T) *scripted {
	r, w := io.Pipe()
	s := &scripted{r: r, w: w, writes: make(chan string, 64)}
	t.Cleanup(func() { w.Close() }) // the driver's reader sees EOF and its goroutines end
	return s
}

func (s *scripted) Read(p []byte) (int, error)  { return s.r.Read(p) }
func (s *scripted) Write(p []byte) (int, error) { s.writes <- string(p); return len(p), nil }

func (s *scripted) send(t *testing.T, data string) {
	t.Helper()
	if _, err := io.WriteString(s.w, data); err != nil {
		t.Fatalf("send: %v", err)
	}
}

func (s *scripted) expectWrite(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-s.writes:
		if got != want {
			t.Fatalf("driver wrote %q, want %q", got, want)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("driver did not write %q", want)
	}
}

type cmdResult struct {
	info []string
	err  error
}

func command(a *wat.AT, cmd string, opts ...wat.CommandOption) <-chan cmdResult {
	ch := make(chan cmdResult, 1)
	go func() {
		info, err := a.Command(cmd, opts...)
		ch <- cmdResult{info, err}
	}()
	return ch
}

func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// Fault 1: a +CREG read response goes both to the command and to the +CREG
// URC handler. Ours: TestTranscripts/reg_clash.
func TestWarthogDoubleDelivery(t *testing.T) {
	m := newScripted(t)
	urc := make(chan []string, 4)
	a := wat.New(m, wat.WithIndication("+CREG:", func(l []string) { urc <- l }))
	res := command(a, "+CREG?")
	m.expectWrite(t, "AT+CREG?\r\n")
	const line = `+CREG: 2,1,"1A2B","01ABCDEF",7`
	m.send(t, "\r\n"+line+"\r\n\r\nOK\r\n")
	r := wait(t, res, "the command")
	if r.err != nil || !slices.Equal(r.info, []string{line}) {
		t.Fatalf("Command = %q, %v; want the response line", r.info, r.err)
	}
	if got := wait(t, urc, "the URC handler"); !slices.Equal(got, []string{line}) {
		t.Fatalf("handler got %q", got)
	}
	// The fault: the one solicited line was delivered twice, once as a URC.
}

// Fault 2: a URC between a command and its response is appended to the
// command's info, even with a handler registered for it. Ours:
// TestTranscripts/urc_mid_response.
func TestWarthogURCLeaksIntoResponse(t *testing.T) {
	m := newScripted(t)
	urc := make(chan []string, 4)
	a := wat.New(m, wat.WithIndication("+CEREG:", func(l []string) { urc <- l }))
	res := command(a, "+CSQ")
	m.expectWrite(t, "AT+CSQ\r\n")
	m.send(t, "\r\n+CEREG: 5\r\n\r\n+CSQ: 20,99\r\n\r\nOK\r\n")
	r := wait(t, res, "the command")
	if want := []string{"+CEREG: 5", "+CSQ: 20,99"}; r.err != nil || !slices.Equal(r.info, want) {
		t.Fatalf("Command = %q, %v; the fault would give %q", r.info, r.err, want)
	}
	wait(t, urc, "the URC handler") // and the handler got it as well
}

// Fault 3: every URC runs its handler on a goroutine of its own. A storm
// starts one goroutine per URC with no bound, and a slow handler lets later
// URCs overtake it. Ours: TestURCOrder, TestURCStormBounded.
func TestWarthogUnorderedHandlers(t *testing.T) {
	m := newScripted(t)
	const n = 500
	entered := make(chan struct{}, n)
	release := make(chan struct{})
	wat.New(m, wat.WithIndication("+CGEV:", func([]string) {
		entered <- struct{}{}
		<-release
	}))
	for i := range n {
		m.send(t, fmt.Sprintf("+CGEV: NW PDN DEACT %d\r\n", i))
	}
	// n handlers are blocked at once: n goroutines for n URCs.
	for i := range n {
		wait(t, entered, fmt.Sprintf("handler %d to start", i))
	}
	close(release)

	m2 := newScripted(t)
	first := make(chan struct{})
	got := make(chan string, 2)
	wat.New(m2, wat.WithIndication("+CGEV:", func(l []string) {
		if l[0] == "+CGEV: NW PDN DEACT 0" {
			<-first // the first URC's handler is slow
		}
		got <- l[0]
	}))
	m2.send(t, "+CGEV: NW PDN DEACT 0\r\n+CGEV: NW PDN DEACT 1\r\n")
	if g := wait(t, got, "a handler"); g != "+CGEV: NW PDN DEACT 1" {
		t.Fatalf("first handled %q; the fault would handle URC 1 first", g)
	}
	close(first)
	if g := wait(t, got, "the first URC's handler"); g != "+CGEV: NW PDN DEACT 0" {
		t.Fatalf("then handled %q", g)
	}
}

// Fault 5: after a command times out, its late reply becomes the next
// command's answer, with a nil error. Ours: TestTranscripts/late_reply and
// late_reply_after_probe.
func TestWarthogStaleReplyAfterTimeout(t *testing.T) {
	m := newScripted(t)
	a := wat.New(m)
	res := command(a, "+COPS?", wat.WithTimeout(50*time.Millisecond))
	m.expectWrite(t, "AT+COPS?\r\n")
	if r := wait(t, res, "the timeout"); !errors.Is(r.err, wat.ErrDeadlineExceeded) {
		t.Fatalf("first command: %q, %v; want ErrDeadlineExceeded", r.info, r.err)
	}
	res = command(a, "+CSQ", wat.WithTimeout(5*time.Second))
	m.expectWrite(t, "AT+CSQ\r\n")
	m.send(t, "\r\n+COPS: 0,2,\"41001\",7\r\n\r\nOK\r\n") // the late reply to +COPS?
	r := wait(t, res, "the second command")
	if want := []string{`+COPS: 0,2,"41001",7`}; r.err != nil || !slices.Equal(r.info, want) {
		t.Fatalf("Command(+CSQ) = %q, %v; the fault would give %q, nil", r.info, r.err, want)
	}
}

// Fault 6: one line of 64 KiB or more without a line end closes the driver
// for good (bufio.Scanner's ErrTooLong). Ours: TestTranscripts/garbage.
func TestWarthogClosesOnLongGarbage(t *testing.T) {
	m := newScripted(t)
	a := wat.New(m)
	garbage := make([]byte, 70000)
	for i := range garbage {
		garbage[i] = 'A' + byte(i%26)
	}
	go func() { m.w.Write(garbage) }() // the driver stops reading part-way
	select {
	case <-a.Closed():
	case <-time.After(5 * time.Second):
		t.Fatal("the driver survived 70000 bytes without a line end; the fault is gone")
	}
	m.w.CloseWithError(io.ErrClosedPipe) // unblock the writer
	if _, err := a.Command("+CSQ"); !errors.Is(err, wat.ErrClosed) {
		t.Fatalf("Command after the garbage: %v, want ErrClosed", err)
	}
}
