package sim

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
)

// Do carries out a control request and returns its data lines.
func (m *Modem) Do(c Control) ([]string, error) {
	switch c.Op {
	case "help":
		return strings.Split(strings.TrimSpace(controlHelp), "\n"), nil
	case "status":
		return m.Status().Lines(), nil
	case "transcript":
		var out []string
		for _, e := range m.Transcript() {
			out = append(out, e.String())
		}
		if c.N > 0 && len(out) > c.N {
			out = out[len(out)-c.N:]
		}
		return out, nil
	case "unplug":
		return nil, m.Unplug(!c.Flag)
	case "reboot":
		m.Reboot()
	case "hang":
		m.Hang()
	case "power-off":
		m.PowerOff()
	case "power-on":
		m.PowerOn()
	case "sim-pull":
		m.PullSIM()
	case "sim-insert", "sim-swap":
		card := NewCard(c.PLMN, m.nextSerial())
		if c.PIN != "" {
			card = card.WithPIN(c.PIN)
		}
		var err error
		if c.Op == "sim-insert" {
			err = m.InsertSIM(card)
		} else {
			err = m.SwapSIM(card)
		}
		if err != nil {
			return nil, err
		}
		return []string{"iccid " + card.ICCID + " imsi " + card.IMSI}, nil
	case "cells":
		cells := make([]Cell, len(c.Cells))
		for i, cs := range c.Cells {
			cells[i] = NewCell(cs.PLMN, cs.AcT, i)
		}
		return nil, m.SetCells(cells...)
	case "reg-lose":
		m.LoseCoverage()
	case "reg-deny":
		return nil, m.Deny(c.N)
	case "reg-accept":
		return nil, m.Deny(0)
	case "downgrade":
		m.Downgrade2G()
	case "churn":
		m.Churn(c.N, c.Dur)
	case "ring":
		return nil, m.Ring(c.Number, c.N)
	case "sms":
		kind, err := parseSMSKind(c.Name)
		if err != nil {
			return nil, err
		}
		return nil, m.SMS(c.Number, kind, c.Text)
	case "storm":
		m.Storm(c.N, c.Rate)
	case "garbage":
		return nil, m.Garbage(c.N, c.Flag)
	case "delay":
		m.Delay(c.Name, c.Dur, c.N)
	case "delay-clear":
		m.ClearDelays()
	case "pdp-drop":
		return nil, m.DropContext(c.N)
	case "urc":
		return nil, m.Inject(c.Text)
	default:
		return nil, ctlErr("unknown request %q", c.Op)
	}
	return nil, nil
}

func (m *Modem) nextSerial() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cardSerial++
	return 100 + m.cardSerial
}

const controlHelp = `
help | status | transcript [<n>]
unplug [keep] | reboot | hang | power off | power on
sim pull | sim insert <plmn> [pin <digits>] | sim swap <plmn> [pin <digits>]
cells <plmn>:<gsm|edge|umts|hspa|lte> ... | reg lose | reg deny <cause> | reg accept
downgrade | churn <n> <interval>
ring <number> [<rings>] | sms normal|type0|class0 <number> [<text>]
storm <n> [<per-second>] | garbage <n> nl|nonl | urc <text>
delay <command>|* <duration> [<count>] | delay clear | pdp drop <cid>
`

// ServeControl answers control requests on ln until ctx is done, then
// closes ln and every connection and returns once their goroutines have.
func ServeControl(ctx context.Context, ln net.Listener, m *Modem, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]bool{}
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	defer stop()
	defer wg.Wait()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("control: accept: %w", err)
		}
		mu.Lock()
		if ctx.Err() != nil {
			mu.Unlock()
			conn.Close()
			return nil
		}
		conns[conn] = true
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			serveControlConn(conn, m, log)
			mu.Lock()
			delete(conns, conn)
			mu.Unlock()
			conn.Close()
		}()
	}
}

func serveControlConn(conn net.Conn, m *Modem, log *slog.Logger) {
	r := bufio.NewReaderSize(conn, MaxControlLine+2)
	w := bufio.NewWriter(conn)
	for {
		line, err := readControlLine(r)
		if errors.Is(err, errControl) {
			fmt.Fprintf(w, "err %v\n", err)
			w.Flush()
			return // the stream cannot be trusted past an unframed line
		}
		if err != nil {
			return
		}
		c, err := ParseControl(line)
		var data []string
		if err == nil {
			log.Info("control", "request", c.String())
			data, err = m.Do(c)
		}
		for _, d := range data {
			w.WriteString(". " + d + "\n")
		}
		if err != nil {
			fmt.Fprintf(w, "err %s\n", oneLine(err.Error()))
		} else {
			w.WriteString("ok\n")
		}
		if w.Flush() != nil {
			return
		}
	}
}

// readControlLine reads a line ended by LF (a CR before it is dropped),
// refusing one longer than MaxControlLine.
func readControlLine(r *bufio.Reader) (string, error) {
	b, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", ctlErr("line longer than %d bytes", MaxControlLine)
	}
	if err != nil {
		if err == io.EOF && len(b) > 0 {
			return "", ctlErr("line not ended by a newline")
		}
		return "", err
	}
	s := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if len(s) > MaxControlLine {
		return "", ctlErr("line longer than %d bytes", MaxControlLine)
	}
	return s, nil
}

func oneLine(s string) string { return strings.NewReplacer("\n", " ", "\r", " ").Replace(s) }

// ErrControlFailed wraps an "err" answer of the control socket.
var ErrControlFailed = errors.New("control request failed")

// SendControl sends one request to a control socket and returns the data
// lines of the answer; an "err" answer is an error wrapping
// ErrControlFailed.
func SendControl(ctx context.Context, socket, request string) ([]string, error) {
	if _, err := ParseControl(request); err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socket)
	if err != nil {
		return nil, fmt.Errorf("control %s: %w", socket, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if _, err := io.WriteString(conn, request+"\n"); err != nil {
		return nil, fmt.Errorf("control %s: %w", socket, err)
	}
	var data []string
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, ". "):
			data = append(data, l[2:])
		case l == "ok":
			return data, nil
		case strings.HasPrefix(l, "err "):
			return data, fmt.Errorf("%w: %s", ErrControlFailed, l[4:])
		default:
			return data, fmt.Errorf("control %s: unexpected answer %q", socket, l)
		}
	}
	if err := ctx.Err(); err != nil {
		return data, err
	}
	if err := sc.Err(); err != nil {
		return data, fmt.Errorf("control %s: %w", socket, err)
	}
	return data, fmt.Errorf("control %s: connection closed before the answer", socket)
}
