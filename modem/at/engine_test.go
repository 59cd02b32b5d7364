package at

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestTranscripts(t *testing.T) {
	for _, name := range []string{
		"basic", "urc_mid_response", "reg_clash", "late_reply", "late_reply_after_probe",
		"garbage", "idle_flush", "echo_after_reset", "reset_mid_command", "prompt",
		"finals", "cmt", "hangup", "secret", "nosync",
	} {
		t.Run(name, func(t *testing.T) { runFile(t, name, Config{}) })
	}
}

// warthog618/modem v0.4.0 fault 3 is handlers on a goroutine each, so URCs
// reach them out of order. Here 200 distinct URCs come out of the one queue in
// arrival order.
func TestURCOrder(t *testing.T) {
	tr := newTranscript(t, Config{})
	var b strings.Builder
	for i := range 200 {
		fmt.Fprintf(&b, "+CGEV: NW PDN DEACT %d\r\n", i)
	}
	if err := tr.send([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		u, err := tr.nextURC()
		if err != nil {
			t.Fatalf("URC %d: %v", i, err)
		}
		if want := fmt.Sprintf("+CGEV: NW PDN DEACT %d", i); u.Line != want {
			t.Fatalf("URC %d = %q, want %q", i, u.Line, want)
		}
	}
}

// A storm of 10 000 URCs: registration reports coalesce to the newest, other
// URCs overflow the bounded queue oldest first, and the consumer learns how
// many went. Memory stays bounded by the queue size.
func TestURCStormBounded(t *testing.T) {
	tr := newTranscript(t, Config{QueueSize: 64})
	var b strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&b, "+CEREG: 1,\"%04X\",\"0000%04X\",7\r\n", i%7, i)
		fmt.Fprintf(&b, "+CMTI: \"ME\",%d\r\n", i)
	}
	if err := tr.send([]byte(b.String())); err != nil {
		t.Fatal(err)
	}
	st := tr.eng.Stats()
	if st.PeakQueue > 64 {
		t.Errorf("peak queue %d, bound 64", st.PeakQueue)
	}
	if st.URCs != 20000 {
		t.Errorf("URCs = %d, want 20000", st.URCs)
	}
	if st.Coalesced != 9999 {
		t.Errorf("Coalesced = %d, want 9999", st.Coalesced)
	}
	// 10 000 +CMTI and one +CEREG in 64 slots: 9 937 dropped.
	if st.Overflow != 9937 {
		t.Errorf("Overflow = %d, want 9937", st.Overflow)
	}
	u, err := tr.nextURC()
	if err != nil || u.Storm == nil || u.Storm.Dropped != 9937 {
		t.Fatalf("first entry %+v %v, want a storm alarm with 9937 dropped", u, err)
	}
	var got []string
	for {
		u, ok := tr.eng.NextURC()
		if !ok {
			break
		}
		got = append(got, u.Line)
		if u.Name == "+CEREG" && u.Merged != 9999 {
			t.Errorf("+CEREG merged %d, want 9999", u.Merged)
		}
	}
	if len(got) != 64 || got[0] != `+CMTI: "ME",9937` || got[62] != `+CEREG: 1,"0003","0000270F",7` || got[63] != `+CMTI: "ME",9999` {
		t.Errorf("queue after the storm: %d entries, first %q, last two %q", len(got), got[0], got[len(got)-2:])
	}
}

// More than StormRate URCs a second for StormFor seconds raises one alarm,
// even when coalescing keeps the queue short.
func TestURCStormRate(t *testing.T) {
	tr := newTranscript(t, Config{StormRate: 10, StormFor: 3})
	burst := strings.Repeat("+CEREG: 2\r\n", 11)
	for sec := range 3 {
		if err := tr.send([]byte(burst)); err != nil {
			t.Fatal(err)
		}
		if sec < 2 {
			tr.clk.Advance(time.Second)
		}
	}
	u, err := tr.nextURC()
	if err != nil || u.Storm == nil || u.Storm.Rate != 11 {
		t.Fatalf("got %+v %v, want a rate alarm at 11/s", u, err)
	}
	if u, _ := tr.eng.NextURC(); u.Name != "+CEREG" || u.Merged != 32 {
		t.Fatalf("then %+v, want the one coalesced +CEREG", u)
	}
	if st := tr.eng.Stats(); st.Storms != 1 {
		t.Fatalf("Storms = %d, want 1", st.Storms)
	}
	// A calm second re-arms the alarm; a storm that goes on raises no more.
	if err := tr.send([]byte(burst)); err != nil {
		t.Fatal(err)
	}
	if st := tr.eng.Stats(); st.Storms != 1 {
		t.Fatalf("Storms = %d after more of the same storm, want 1", st.Storms)
	}
}

// A cancelled context ends the command at once, and the next command
// resynchronises before it is sent.
func TestExecContextCancel(t *testing.T) {
	tr := newTranscript(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := tr.eng.Exec(ctx, Cmd{Line: "AT+COPS=?", Prefix: "+COPS"})
		errc <- err
	}()
	tr.run("> AT+COPS=?")
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	tr.run(`
		exec c1 AT+CSQ prefix=+CSQ
		~ 300ms
		> AT
		< OK
		~ 300ms
		> AT+CSQ
		< +CSQ: 5,99
		< OK
		= c1 ok "+CSQ: 5,99"
	`)
	// A context already done never reaches the port.
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if _, err := tr.eng.Exec(done, Cmd{Line: "AT"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// Commands are serialised: the second is not written until the first has
// its final result.
func TestExecSerialised(t *testing.T) {
	tr := newTranscript(t, Config{})
	tr.run(`
		exec c1 AT+CGMI
		> AT+CGMI
	`)
	started := make(chan struct{})
	second := make(chan outcome, 1)
	go func() {
		close(started)
		r, err := tr.eng.Exec(context.Background(), Cmd{Line: "AT+CGMM"})
		second <- outcome{r, err}
	}()
	<-started
	tr.run(`
		< Quectel
		< OK
		= c1 ok "Quectel"
		> AT+CGMM
		< EG25
		< OK
	`)
	if o := <-second; o.err != nil || len(o.resp.Info) != 1 || o.resp.Info[0] != "EG25" {
		t.Fatalf("second command: %+v", o)
	}
}

func TestCloseIsIdempotentAndFailsLaterCommands(t *testing.T) {
	tr := newTranscript(t, Config{})
	tr.eng.Close()
	tr.eng.Close()
	if _, err := tr.eng.Exec(context.Background(), Cmd{Line: "AT"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Exec after Close: %v, want ErrClosed", err)
	}
	if !errors.Is(tr.eng.Err(), ErrClosed) {
		t.Fatalf("Err() = %v", tr.eng.Err())
	}
}

// Errors and logs name the command but never its secret.
func TestSecretNotInErrors(t *testing.T) {
	tr := newTranscript(t, Config{})
	tr.run(`
		exec c1 AT+CPIN= secret=4321
		> AT+CPIN="4321"
		< +CME ERROR: 16
		= c1 err cme=16
	`)
	o := <-tr.cmds["c1"]
	tr.cmds["c1"] <- o
	if strings.Contains(o.err.Error(), "4321") || !strings.Contains(o.err.Error(), "AT+CPIN=") {
		t.Fatalf("error %q leaks the secret or hides the command", o.err)
	}
}
