package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// benchOpener opens the bench line's tty raw at the board's baud rate, as a
// pollable file: unlike the modem's port (go.bug.st/serial), it takes write
// deadlines and its Close ends a write in progress, so a host that stops
// reading can neither stall the line for good nor hold up a power-off.
func benchOpener(path string, baud int) func(context.Context) (io.ReadWriteCloser, error) {
	return func(ctx context.Context) (io.ReadWriteCloser, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		if err := makeRaw(f, baud); err != nil {
			f.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		return f, nil
	}
}

// makeRaw sets the tty to 8N1 raw mode at baud (cfmakeraw(3)), through
// the file's raw connection: f.Fd() would switch it to blocking mode.
func makeRaw(f *os.File, baud int) error {
	speeds := map[int]uint32{9600: unix.B9600, 19200: unix.B19200, 38400: unix.B38400, 57600: unix.B57600, 115200: unix.B115200}
	if baud == 0 {
		baud = 115200
	}
	speed, ok := speeds[baud]
	if !ok {
		return fmt.Errorf("baud %d not supported", baud)
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ioErr error
	err = rc.Control(func(fd uintptr) {
		t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			ioErr = err
			return
		}
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB | unix.CBAUD
		t.Cflag |= unix.CS8 | unix.CREAD | unix.CLOCAL | speed
		t.Ispeed, t.Ospeed = speed, speed
		t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
		ioErr = unix.IoctlSetTermios(int(fd), unix.TCSETS, t)
	})
	if err != nil {
		return err
	}
	return ioErr
}
