package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"time"

	"go.bug.st/serial"

	"mehfooz/daemon/api"
)

// benchTimeout bounds a command on the bench line: a serial line that
// stopped answering must not hang the technician's tool.
const benchTimeout = 30 * time.Second

// benchSession opens a client on the bench line at path for one command,
// with the command's time limit; done hangs up.
func benchSession(ctx context.Context, path string) (context.Context, *api.Client, func()) {
	c := benchClient(path)
	ctx, cancel := context.WithTimeout(ctx, benchTimeout)
	return ctx, c, func() { c.Close(); cancel() }
}

// benchClient reaches a handset's bench line (board.Bench): the
// technician's serial cable, or the unix socket QEMU gives an emulated
// handset's bench UART (phonectl qemu run prints it). Only the state and
// enrollment are served there.
func benchClient(path string) *api.Client {
	return api.NewBenchClient(func(ctx context.Context) (net.Conn, error) {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("bench line: %w", err)
		}
		if fi.Mode()&os.ModeSocket != 0 {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}
		p, err := serial.Open(path, &serial.Mode{BaudRate: 115200})
		if err != nil {
			return nil, fmt.Errorf("bench line %s: %w", path, err)
		}
		// Whatever an earlier session left in the adapter is not ours.
		if err := p.ResetInputBuffer(); err != nil {
			p.Close()
			return nil, fmt.Errorf("bench line %s: %w", path, err)
		}
		return portConn{Port: p, path: path}, nil
	})
}

// portConn is a serial port as the net.Conn an HTTP transport wants; it
// cancels by closing, so deadlines are not needed.
type portConn struct {
	serial.Port
	path string
}

func (c portConn) LocalAddr() net.Addr              { return benchAddr(c.path) }
func (c portConn) RemoteAddr() net.Addr             { return benchAddr(c.path) }
func (c portConn) SetDeadline(time.Time) error      { return nil }
func (c portConn) SetReadDeadline(time.Time) error  { return nil }
func (c portConn) SetWriteDeadline(time.Time) error { return nil }

type benchAddr string

func (a benchAddr) Network() string { return "serial" }
func (a benchAddr) String() string  { return string(a) }
