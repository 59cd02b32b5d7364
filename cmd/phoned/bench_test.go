package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestBenchOpenerIsRaw opens the slave of a real pty as the bench line:
// bytes pass unchanged both ways (no echo, no CR/LF translation, no
// signals from ^C).
func TestBenchOpenerIsRaw(t *testing.T) {
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		t.Skipf("no ptys: %v", err)
	}
	defer ptmx.Close()
	rc, _ := ptmx.SyscallConn()
	var n int
	var ioErr error
	rc.Control(func(fd uintptr) {
		if ioErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ioErr == nil {
			n, ioErr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
		}
	})
	if ioErr != nil {
		t.Fatal(ioErr)
	}
	line, err := benchOpener(fmt.Sprintf("/dev/pts/%d", n), 115200)(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer line.Close()

	msg := []byte("GET /v1/state HTTP/1.1\r\n\x03\x1a\x7f\r\n")
	if _, err := ptmx.Write(msg); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(msg))
	line.(*os.File).SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(line, got); err != nil || string(got) != string(msg) {
		t.Fatalf("host -> handset: %q, %v; want %q", got, err, msg)
	}
	if _, err := line.Write([]byte("HTTP/1.1 200 OK\r\n")); err != nil {
		t.Fatal(err)
	}
	back := make([]byte, 17)
	ptmx.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(ptmx, back); err != nil || string(back) != "HTTP/1.1 200 OK\r\n" {
		t.Fatalf("handset -> host: %q, %v (an echo or a translation?)", back, err)
	}
	// No echo came back to the host.
	ptmx.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if k, _ := ptmx.Read(make([]byte, 64)); k != 0 {
		t.Fatalf("the line echoed %d bytes", k)
	}
}
