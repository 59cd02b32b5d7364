package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"mehfooz/atomicfile"
	"mehfooz/daemon/api"
	"mehfooz/daemon/state"
)

// defaultSocket is where phoned serves its local API on a handset.
const defaultSocket = "/run/phoned/api.sock"

func init() {
	register(command{path: []string{"status"}, summary: "print a running phoned's modem, link, call and alerts", run: runStatus})
	register(command{path: []string{"screenshot"}, summary: "save a running phoned's screen as PNG", run: runScreenshot})
	register(command{path: []string{"call"}, summary: "dial, answer, reject, hang up, or give the SAS verdict on a running phoned", run: runCall})
	register(command{path: []string{"unlock"}, summary: "unlock a running phoned with a PIN read from stdin", run: runUnlock})
	register(command{path: []string{"pin"}, summary: "change the PIN, set the duress PIN or store the SIM PIN on an unlocked phoned (from stdin)", run: runPIN})
}

// socketFlag adds --socket, defaulting to $PHONED_SOCKET or defaultSocket.
func socketFlag(e *env, fs *flag.FlagSet) *string {
	def := e.getenv("PHONED_SOCKET")
	if def == "" {
		def = defaultSocket
	}
	return fs.String("socket", def, "phoned's local API socket (env PHONED_SOCKET)")
}

func dialer(path string) *api.Client {
	return api.NewClient(func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, "unix", path)
		if err != nil {
			return nil, fmt.Errorf("is phoned running? %w", err)
		}
		return c, nil
	})
}

func runStatus(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "status", "[--socket PATH | --bench PATH] [--json] [--wait PHASE --timeout D]")
	sock := socketFlag(e, fs)
	bench := fs.String("bench", "", "read the state over the handset's bench line (serial cable, or an emulated handset's bench socket) instead of --socket")
	asJSON := fs.Bool("json", false, "print the raw state as JSON")
	wait := fs.String("wait", "", "wait until the modem reaches this phase (e.g. data-up) before printing")
	timeout := fs.Duration("timeout", 30*time.Second, "how long --wait may take")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	c := dialer(*sock)
	if *bench != "" {
		if *wait != "" {
			return fmt.Errorf("%w: --wait follows the state stream, which the bench line does not carry", errUsage)
		}
		var done func()
		ctx, c, done = benchSession(ctx, *bench)
		defer done()
	}
	var s state.Snapshot
	if *wait != "" {
		ctx, cancel := context.WithTimeout(ctx, *timeout)
		defer cancel()
		reached := false
		err := c.Watch(ctx, func(snap state.Snapshot) bool {
			s = snap
			reached = string(snap.Modem.Phase) == *wait
			return !reached
		})
		if !reached {
			if err == nil || errors.Is(err, context.DeadlineExceeded) {
				err = fmt.Errorf("modem still %q after %v", s.Modem.Phase, *timeout)
			}
			return fmt.Errorf("waiting for %q: %w", *wait, err)
		}
	} else {
		var err error
		if s, err = c.State(ctx); err != nil {
			return err
		}
	}
	if *asJSON {
		return printJSON(e.stdout, s)
	}
	printStatus(e.stdout, s)
	return nil
}

func printStatus(w io.Writer, s state.Snapshot) {
	m := s.Modem
	fmt.Fprintf(w, "device    %s (board %s)\n", orDash(s.DeviceID), s.Board)
	fmt.Fprintf(w, "modem     %s\n", orDash(string(m.Phase)))
	fmt.Fprintf(w, "sim       %s  iccid %s  imsi %s\n", orDash(string(m.SIM)), orDash(m.ICCID), orDash(m.IMSI))
	fmt.Fprintf(w, "network   %s %s  %s\n", orDash(m.Operator), paren(m.PLMN), orDash(m.RAT))
	sig := fmt.Sprintf("%d/5 bars", m.Bars)
	if m.RSSIdBm != 0 {
		sig += fmt.Sprintf(", %d dBm", m.RSSIdBm)
	}
	fmt.Fprintf(w, "signal    %s\n", sig)
	fmt.Fprintf(w, "data      apn %s  ip %s\n", orDash(m.APN), orDash(m.IP))
	if m.Detail != "" {
		fmt.Fprintf(w, "detail    %s\n", m.Detail)
	}
	link := "down"
	if s.Link.Detail != "" {
		link += " (" + s.Link.Detail + ")"
	}
	if s.Link.Connected {
		link = fmt.Sprintf("up to %s (%s) since %s", s.Link.Exchange, orDash(s.Link.Group), s.Link.Since.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "exchange  %s  directory v%d  revocations v%d\n", link, s.Link.Directory, s.Link.Revoked)
	fmt.Fprintf(w, "lock      locked=%t wrong-pins=%d/%d\n", s.Lock.Locked, s.Lock.WrongPINs, s.Lock.MaxAttempts)
	c := s.Call
	fmt.Fprintf(w, "call      %s", orDash(string(c.Phase)))
	if c.PeerID != "" {
		fmt.Fprintf(w, " with %s %s", c.PeerName, paren(c.PeerID))
	}
	if c.SAS != "" {
		fmt.Fprintf(w, "  sas %s %s", c.SAS, orDash(string(c.SASVerdict)))
	}
	if c.EndReason != "" {
		fmt.Fprintf(w, "  ended: %s", c.EndReason)
	}
	fmt.Fprintln(w)
	if c.Phase == state.CallConnected {
		q := c.Quality
		fmt.Fprintf(w, "quality   rtt %.1f ms  loss %.1f%%  jitter %.1f ms  %.1f kbit/s\n", q.RTTms, q.LossPct, q.JitterMs, q.BitrateKbps)
	}
	fmt.Fprintf(w, "contacts  %d\n", len(s.Contacts))
	for _, a := range s.Alerts {
		ack := ""
		if a.Acked {
			ack = " (acknowledged)"
		}
		fmt.Fprintf(w, "alert     [%s] %s: %s%s\n", a.Severity, a.Title, a.Text, ack)
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

func runScreenshot(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "screenshot", "[--socket PATH] -o FILE.png")
	sock := socketFlag(e, fs)
	out := fs.String("o", "", "where to write the PNG")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		return fmt.Errorf("%w: give -o FILE.png and nothing else", errUsage)
	}
	png, err := dialer(*sock).Screenshot(ctx)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(*out, png, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s (%d bytes)\n", *out, len(png))
	return nil
}

func runCall(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "call", "[--socket PATH] dial CONTACT-ID | answer | reject | hangup | mute on|off | verdict match|mismatch")
	sock := socketFlag(e, fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	a := fs.Args()
	if len(a) == 0 {
		return fmt.Errorf("%w: which call action?", errUsage)
	}
	var in state.Intent
	switch {
	case a[0] == "dial" && len(a) == 2:
		in = state.Intent{Kind: state.IntentDial, ContactID: a[1]}
	case a[0] == "answer" && len(a) == 1:
		in = state.Intent{Kind: state.IntentAnswer}
	case a[0] == "reject" && len(a) == 1:
		in = state.Intent{Kind: state.IntentReject}
	case a[0] == "hangup" && len(a) == 1:
		in = state.Intent{Kind: state.IntentHangUp}
	case a[0] == "mute" && len(a) == 2 && (a[1] == "on" || a[1] == "off"):
		in = state.Intent{Kind: state.IntentMute, On: a[1] == "on"}
	case a[0] == "verdict" && len(a) == 2 && (a[1] == "match" || a[1] == "mismatch"):
		in = state.Intent{Kind: state.IntentSASVerdict, Match: a[1] == "match"}
	default:
		return fmt.Errorf("%w: %q", errUsage, strings.Join(a, " "))
	}
	return dialer(*sock).Intent(ctx, in)
}

func runUnlock(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "unlock", "[--socket PATH] < pin")
	sock := socketFlag(e, fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: the PIN is read from stdin, never from the command line", errUsage)
	}
	pin, err := readPIN(e)
	if err != nil {
		return err
	}
	return dialer(*sock).Intent(ctx, state.Intent{Kind: state.IntentUnlock, PIN: pin})
}

func runPIN(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "pin", "[--socket PATH | --bench PATH] change|duress|sim < new-pin")
	sock := socketFlag(e, fs)
	bench := fs.String("bench", "", "over the handset's bench line (serial cable, or an emulated handset's bench socket): only sim")
	if err := fs.Parse(args); err != nil {
		return err
	}
	kinds := map[string]state.IntentKind{"change": state.IntentChangePIN, "duress": state.IntentSetDuressPIN, "sim": state.IntentSetSIMPIN}
	kind, ok := kinds[fs.Arg(0)]
	if fs.NArg() != 1 || !ok {
		return fmt.Errorf("%w: say change, duress or sim; the PIN is read from stdin", errUsage)
	}
	c := dialer(*sock)
	if *bench != "" {
		if kind != state.IntentSetSIMPIN {
			return fmt.Errorf("%w: the bench line takes only the SIM PIN; the owner changes their own PIN on the handset", errUsage)
		}
		var done func()
		ctx, c, done = benchSession(ctx, *bench)
		defer done()
	}
	pin, err := readPIN(e)
	if err != nil {
		return err
	}
	return c.Intent(ctx, state.Intent{Kind: kind, PIN: pin})
}

// readPIN reads one line from stdin and returns it trimmed, zeroing the
// buffer it was read into.
func readPIN(e *env) ([]byte, error) {
	line, err := bufio.NewReader(io.LimitReader(e.stdin, 64)).ReadSlice('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read PIN: %w", err)
	}
	pin := []byte(strings.TrimSpace(string(line)))
	clear(line)
	return pin, nil
}
