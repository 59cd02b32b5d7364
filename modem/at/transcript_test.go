package at

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"mehfooz/clock"
)

// A transcript drives an engine over an in-memory pipe with a fake clock.
// Each line is one step; the runner stops at the first step that fails.
//
//	# comment
//	exec c1 AT+CSQ prefix=+CSQ timeout=2s   start a command in the background
//	exec c2 AT+CPIN= secret=1234            ... with a secret (sent quoted)
//	exec c3 AT+CMGS=23 payload=0011AB       ... with a prompt and payload
//	> AT+CSQ                                the engine writes this line (CR-ended)
//	>> 0011AB                               the engine writes this payload (Ctrl-Z-ended)
//	< +CSQ: 20,99                           the modem sends this line and CR LF
//	<raw "\x00\x00RDY\r\n"                  the modem sends these bytes (Go-quoted)
//	garbage 70000                           the modem sends printable noise, no line end
//	~ 300ms                                 once a timer is armed, advance the clock
//	= c1 ok "+CSQ: 20,99"                   c1 ended OK with exactly these info lines
//	= c1 echo ok                            ... and saw its echo
//	= c1 err timeout                        c1 failed: timeout, error, cme=N, cms=N,
//	                                        notsupported, reset, nosync, noprompt, closed
//	urc +CEREG: 5                           the next queued URC is this line
//	urc merged=2 +CEREG: 1                  ... having replaced 2 queued ones
//	urcpdu 0791...                          ... the PDU line of the last urc
//	storm dropped=10 rate=0                 the next queued entry is a storm alarm
//	nourc                                   the URC queue is empty
//	stat Stray=1 Overlong=1                 engine counters have these values
//	hangup                                  the modem side closes (USB loss)
//	closed                                  the engine has stopped
type transcript struct {
	t       *testing.T
	clk     *clock.Fake
	eng     *Engine
	modem   net.Conn
	rd      *bufio.Reader
	written uint64
	cmds    map[string]chan outcome
	lastURC URC
}

type outcome struct {
	resp Resp
	err  error
}

var epoch = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func newTranscript(t *testing.T, cfg Config) *transcript {
	t.Helper()
	checkLeaks(t)
	host, modem := net.Pipe()
	clk := clock.NewFake(epoch)
	cfg.Clock = clk
	eng := New(host, cfg)
	tr := &transcript{t: t, clk: clk, eng: eng, modem: modem, rd: bufio.NewReader(modem), cmds: map[string]chan outcome{}}
	t.Cleanup(func() {
		eng.Close()
		modem.Close()
		for id, ch := range tr.cmds { // every command returns once the engine is closed
			select {
			case <-ch:
			case <-time.After(5 * time.Second):
				t.Errorf("command %s still running after Close", id)
			}
		}
	})
	return tr
}

// runFile runs testdata/<name>.txt.
func runFile(t *testing.T, name string, cfg Config) *transcript {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	tr := newTranscript(t, cfg)
	tr.run(string(b))
	return tr
}

func (tr *transcript) run(script string) {
	tr.t.Helper()
	for n, raw := range strings.Split(script, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if err := tr.step(line); err != nil {
			tr.t.Fatalf("step %d %q: %v", n+1, line, err)
		}
	}
}

const stepWait = 5 * time.Second // real time a step may wait before it fails

func (tr *transcript) step(line string) error {
	op, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	switch op {
	case "exec":
		return tr.exec(rest)
	case ">":
		got, err := tr.readUntil('\r')
		if err != nil {
			return err
		}
		if got != rest {
			return fmt.Errorf("engine wrote %q, want %q", got, rest)
		}
	case ">>":
		got, err := tr.readUntil(0x1a)
		if err != nil {
			return err
		}
		if got != rest {
			return fmt.Errorf("engine wrote payload %q, want %q", got, rest)
		}
	case "<":
		return tr.send([]byte(rest + "\r\n"))
	case "<raw":
		s, err := strconv.Unquote(rest)
		if err != nil {
			return err
		}
		return tr.send([]byte(s))
	case "garbage":
		n, err := strconv.Atoi(rest)
		if err != nil {
			return err
		}
		return tr.send(noise(n))
	case "~":
		d, err := time.ParseDuration(rest)
		if err != nil {
			return err
		}
		done := make(chan struct{})
		timer := time.AfterFunc(stepWait, func() { close(done) })
		defer timer.Stop()
		if !tr.clk.BlockUntil(1, done) {
			return errors.New("no timer armed to advance to")
		}
		tr.clk.Advance(d)
	case "=":
		return tr.expectResult(rest)
	case "urc":
		return tr.expectURC(rest)
	case "urcpdu":
		if tr.lastURC.PDU != rest {
			return fmt.Errorf("PDU %q, want %q", tr.lastURC.PDU, rest)
		}
	case "storm":
		return tr.expectStorm(rest)
	case "nourc":
		if u, ok := tr.eng.NextURC(); ok {
			return fmt.Errorf("unexpected URC %+v", u)
		}
	case "stat":
		return tr.expectStats(rest)
	case "hangup":
		return tr.modem.Close()
	case "closed":
		select {
		case <-tr.eng.Done():
		case <-time.After(stepWait):
			return errors.New("engine still running")
		}
		if !errors.Is(tr.eng.Err(), ErrClosed) {
			return fmt.Errorf("Err() = %v, want ErrClosed", tr.eng.Err())
		}
	default:
		return fmt.Errorf("unknown step %q", op)
	}
	return nil
}

func (tr *transcript) exec(rest string) error {
	args := tokens(rest)
	if len(args) < 2 {
		return errors.New("exec needs an id and a command")
	}
	id, c := args[0], Cmd{Line: args[1]}
	for _, a := range args[2:] {
		k, v, _ := strings.Cut(a, "=")
		switch k {
		case "prefix":
			c.Prefix = v
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil {
				return err
			}
			c.Timeout = d
		case "secret":
			c.Secret = []byte(v)
		case "payload":
			c.Payload = v
		default:
			return fmt.Errorf("unknown exec option %q", k)
		}
	}
	ch := make(chan outcome, 1)
	tr.cmds[id] = ch
	go func() {
		r, err := tr.eng.Exec(context.Background(), c)
		ch <- outcome{r, err}
	}()
	return nil
}

// send writes b to the engine and waits until the engine has processed it,
// so that a following clock step sees the state the bytes produced.
func (tr *transcript) send(b []byte) error {
	tr.modem.SetWriteDeadline(time.Now().Add(stepWait))
	if _, err := tr.modem.Write(b); err != nil {
		return err
	}
	tr.written += uint64(len(b))
	deadline := time.Now().Add(stepWait)
	for tr.eng.Stats().Bytes < tr.written {
		if time.Now().After(deadline) {
			return fmt.Errorf("engine processed %d of %d bytes", tr.eng.Stats().Bytes, tr.written)
		}
		time.Sleep(50 * time.Microsecond)
	}
	return nil
}

func (tr *transcript) readUntil(end byte) (string, error) {
	tr.modem.SetReadDeadline(time.Now().Add(stepWait))
	s, err := tr.rd.ReadString(end)
	if err != nil {
		return s, fmt.Errorf("reading the engine's write: %w (got %q)", err, s)
	}
	return s[:len(s)-1], nil
}

func (tr *transcript) expectResult(rest string) error {
	args := tokens(rest)
	if len(args) < 2 {
		return errors.New("= needs an id and an outcome")
	}
	ch, ok := tr.cmds[args[0]]
	if !ok {
		return fmt.Errorf("no command %s", args[0])
	}
	var o outcome
	select {
	case o = <-ch:
		ch <- o // keep it for the cleanup
	case <-time.After(stepWait):
		return errors.New("command did not return")
	}
	args = args[1:]
	if args[0] == "echo" {
		if !o.resp.Echo {
			return errors.New("echo not seen")
		}
		args = args[1:]
	}
	switch args[0] {
	case "ok":
		if o.err != nil {
			return fmt.Errorf("err = %v, want ok", o.err)
		}
		want := args[1:]
		if len(want) == 0 {
			want = nil
		}
		if !reflect.DeepEqual(o.resp.Info, want) {
			return fmt.Errorf("info = %q, want %q", o.resp.Info, want)
		}
	case "err":
		if len(args) != 2 {
			return errors.New("= id err <kind>")
		}
		if !errKind(o.err, args[1]) {
			return fmt.Errorf("err = %v (info %q), want %s", o.err, o.resp.Info, args[1])
		}
	default:
		return fmt.Errorf("unknown outcome %q", args[0])
	}
	return nil
}

func errKind(err error, kind string) bool {
	k, v, _ := strings.Cut(kind, "=")
	switch k {
	case "timeout":
		return errors.Is(err, ErrTimeout)
	case "error":
		return errors.Is(err, ErrError)
	case "notsupported":
		return errors.Is(err, ErrNotSupported)
	case "reset":
		return errors.Is(err, ErrReset)
	case "nosync":
		return errors.Is(err, ErrNoSync)
	case "noprompt":
		return errors.Is(err, ErrNoPrompt)
	case "closed":
		return errors.Is(err, ErrClosed)
	case "cme":
		n, _ := strconv.Atoi(v)
		return IsCME(err, n)
	case "cms":
		n, _ := strconv.Atoi(v)
		return IsCMS(err, n)
	}
	return false
}

func (tr *transcript) expectURC(rest string) error {
	merged := 0
	if m, ok := strings.CutPrefix(rest, "merged="); ok {
		n, after, _ := strings.Cut(m, " ")
		merged, _ = strconv.Atoi(n)
		rest = after
	}
	u, err := tr.nextURC()
	if err != nil {
		return err
	}
	tr.lastURC = u
	if u.Storm != nil {
		return fmt.Errorf("storm alarm %+v, want URC %q", *u.Storm, rest)
	}
	if u.Line != rest || u.Merged != merged {
		return fmt.Errorf("URC %q merged=%d, want %q merged=%d", u.Line, u.Merged, rest, merged)
	}
	if u.Name != urcName(rest) {
		return fmt.Errorf("URC name %q", u.Name)
	}
	return nil
}

func (tr *transcript) nextURC() (URC, error) {
	select {
	case <-tr.eng.Notify():
	case <-time.After(stepWait):
		return URC{}, errors.New("no URC queued")
	}
	u, ok := tr.eng.NextURC()
	if !ok {
		return URC{}, errors.New("notified, but the queue is empty")
	}
	return u, nil
}

func (tr *transcript) expectStorm(rest string) error {
	u, err := tr.nextURC()
	if err != nil {
		return err
	}
	if u.Storm == nil {
		return fmt.Errorf("URC %q, want a storm alarm", u.Line)
	}
	for _, a := range tokens(rest) {
		k, v, _ := strings.Cut(a, "=")
		n, _ := strconv.Atoi(v)
		switch {
		case k == "dropped" && u.Storm.Dropped != n, k == "rate" && u.Storm.Rate != n:
			return fmt.Errorf("storm %+v, want %s", *u.Storm, rest)
		}
	}
	return nil
}

func (tr *transcript) expectStats(rest string) error {
	st := reflect.ValueOf(tr.eng.Stats())
	for _, a := range tokens(rest) {
		k, v, _ := strings.Cut(a, "=")
		f := st.FieldByName(k)
		if !f.IsValid() {
			return fmt.Errorf("no counter %s", k)
		}
		if got := fmt.Sprint(f.Interface()); got != v {
			return fmt.Errorf("%s = %s, want %s (all: %+v)", k, got, v, tr.eng.Stats())
		}
	}
	return nil
}

// tokens splits at spaces; a token starting with a double quote is a Go
// string literal and may hold spaces.
func tokens(s string) []string {
	var out []string
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimSpace(s) {
		if s[0] == '"' {
			q, err := strconv.QuotedPrefix(s)
			if err == nil {
				u, _ := strconv.Unquote(q)
				out = append(out, u)
				s = s[len(q):]
				continue
			}
		}
		tok, after, _ := strings.Cut(s, " ")
		out = append(out, tok)
		s = after
	}
	return out
}

// noise is n bytes of printable garbage with no line end. (Non-printable
// bytes are stripped before the length bound applies; the NUL and binary
// cases have transcripts of their own.)
func noise(n int) []byte {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(0x20 + r.IntN(0x7f-0x20))
	}
	return b
}

// checkLeaks fails the test if an engine goroutine outlives it. It looks at
// stacks rather than counts, so parallel tests do not confuse it.
func checkLeaks(t *testing.T) {
	t.Helper()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for {
			leaked := engineGoroutines()
			if leaked == "" {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("goroutines leaked:\n%s", leaked)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func engineGoroutines() string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var leaked []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "modem/at.(*Engine)") && !strings.Contains(g, "testing.tRunner") {
			leaked = append(leaked, g)
		}
	}
	return strings.Join(leaked, "\n\n")
}
