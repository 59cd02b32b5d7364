package qemu

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"time"
)

// QMP is a connection to QEMU's machine protocol (docs/interop/qmp-spec).
type QMP struct {
	conn net.Conn
	r    *bufio.Reader
}

// DialQMP connects to the machine's QMP socket, retrying while QEMU starts.
func (m *Machine) DialQMP(ctx context.Context) (*QMP, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-m.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	q, err := DialQMP(ctx, m.QMPPath)
	if err != nil && m.exited() {
		return nil, ErrExited
	}
	return q, err
}

// DialQMP connects to a QMP socket at path, retrying until ctx ends while
// QEMU starts, and leaves capabilities negotiation mode.
func DialQMP(ctx context.Context, path string) (*QMP, error) {
	var conn net.Conn
	var err error
	for {
		var d net.Dialer
		if conn, err = d.DialContext(ctx, "unix", path); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("qemu: QMP: %w", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	q := &QMP{conn: conn, r: bufio.NewReader(conn)}
	if _, err := q.r.ReadBytes('\n'); err != nil { // the greeting
		conn.Close()
		return nil, fmt.Errorf("qemu: QMP greeting: %w", err)
	}
	if _, err := q.Execute(ctx, "qmp_capabilities", nil); err != nil {
		conn.Close()
		return nil, err
	}
	return q, nil
}

// Execute runs a command and returns its "return" value; events that
// arrive meanwhile are skipped.
func (q *QMP) Execute(ctx context.Context, cmd string, args any) (json.RawMessage, error) {
	if dl, ok := ctx.Deadline(); ok {
		q.conn.SetDeadline(dl)
	} else {
		q.conn.SetDeadline(time.Now().Add(30 * time.Second))
	}
	req := map[string]any{"execute": cmd}
	if args != nil {
		req["arguments"] = args
	}
	b, _ := json.Marshal(req)
	if _, err := q.conn.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("qemu: QMP %s: %w", cmd, err)
	}
	for {
		line, err := q.r.ReadBytes('\n')
		if err != nil {
			return nil, fmt.Errorf("qemu: QMP %s: %w", cmd, err)
		}
		var resp struct {
			Return json.RawMessage `json:"return"`
			Error  *struct {
				Class string `json:"class"`
				Desc  string `json:"desc"`
			} `json:"error"`
			Event string `json:"event"`
		}
		if err := json.Unmarshal(line, &resp); err != nil {
			return nil, fmt.Errorf("qemu: QMP %s: %w", cmd, err)
		}
		switch {
		case resp.Event != "":
			continue
		case resp.Error != nil:
			return nil, fmt.Errorf("qemu: QMP %s: %s: %s", cmd, resp.Error.Class, resp.Error.Desc)
		default:
			return resp.Return, nil
		}
	}
}

// Screendump writes the screen to path as a PPM.
func (q *QMP) Screendump(ctx context.Context, path string) error {
	_, err := q.Execute(ctx, "screendump", map[string]any{"filename": path})
	return err
}

// SendKeys presses keys together and releases them, e.g. "down" or
// "ctrl","alt","delete" (QEMU qcodes). They reach the most recently added
// keyboard: the virtio one.
func (q *QMP) SendKeys(ctx context.Context, qcodes ...string) error {
	var keys []map[string]string
	for _, k := range qcodes {
		keys = append(keys, map[string]string{"type": "qcode", "data": k})
	}
	_, err := q.Execute(ctx, "send-key", map[string]any{"keys": keys})
	return err
}

// PowerButton presses the ACPI power button.
func (q *QMP) PowerButton(ctx context.Context) error {
	_, err := q.Execute(ctx, "system_powerdown", nil)
	return err
}

// Close closes the connection.
func (q *QMP) Close() error { return q.conn.Close() }
