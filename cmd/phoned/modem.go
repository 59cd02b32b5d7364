package main

import (
	"context"
	"fmt"
	"io"

	"go.bug.st/serial"
)

// serialOpener opens a serial port (the modem's AT port, the bench line)
// afresh on every call (the modem package calls it again after a hang-up
// or a reset). No read timeout is ever set: with one, a read returns
// (0, nil) and looks like a hang-up.
func serialOpener(path string, baud int) func(context.Context) (io.ReadWriteCloser, error) {
	if baud == 0 {
		baud = 115200
	}
	return func(ctx context.Context) (io.ReadWriteCloser, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := serial.Open(path, &serial.Mode{BaudRate: baud})
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		return p, nil
	}
}
