package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.bug.st/serial"
	"golang.org/x/sys/unix"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", path)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRunServesAPTYUntilCancelled(t *testing.T) {
	dir := t.TempDir()
	link, ctl, transcript := filepath.Join(dir, "modem"), filepath.Join(dir, "ctl.sock"), filepath.Join(dir, "at.txt")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"--link", link, "--control", ctl, "--register-delay", "10ms",
			"--sim-init-delay", "10ms", "--transcript", transcript, "--log-level", "error"}, &stdout, &stderr)
	}()
	waitFile(t, ctl)
	if out := stdout.String(); !strings.Contains(out, "eg25g modem on /dev/pts/") || !strings.Contains(out, "(link "+link+")") {
		t.Fatalf("stdout %q", out)
	}

	port, err := serial.Open(link, &serial.Mode{BaudRate: 115200})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string)
	go func() {
		var b []byte
		buf := make([]byte, 256)
		for {
			n, err := port.Read(buf)
			b = append(b, buf[:n]...)
			if bytes.Contains(b, []byte("+CGMM\r\r\nEG25\r\n\r\nOK\r\n")) || err != nil {
				got <- string(b)
				return
			}
		}
	}()
	port.Write([]byte("AT+CGMM\r"))
	select {
	case s := <-got:
		if !strings.Contains(s, "EG25\r\n\r\nOK") {
			t.Fatalf("read %q", s)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no answer to AT+CGMM")
	}
	port.Close()

	var out, errOut syncBuffer
	if code := run(ctx, []string{"ctl", "--control", ctl, "status"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "power: on") {
		t.Fatalf("ctl status: %d %q %q", code, out.String(), errOut.String())
	}
	if code := run(ctx, []string{"ctl", "--control", ctl, "pdp", "drop", "9"}, &out, &errOut); code != 1 {
		t.Fatalf("ctl pdp drop 9: exit %d, want 1", code)
	}
	if code := run(ctx, []string{"ctl", "--control", ctl, "no", "such"}, &out, &errOut); code != 2 {
		t.Fatalf("ctl with a bad request: exit %d, want 2", code)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d; stderr %s", code, stderr.String())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("run did not stop on cancel")
	}
	b, err := os.ReadFile(transcript)
	if err != nil || !strings.Contains(string(b), "> AT+CGMM\n< EG25\n< OK\n") {
		t.Fatalf("transcript %q %v", b, err)
	}
	if _, err := os.Lstat(link); !os.IsNotExist(err) {
		t.Fatalf("link left behind: %v", err)
	}
}

func TestRunSocketMode(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "modem.sock")
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"--socket", sock, "--profile", "generic", "--log-level", "error"}, &stdout, &stderr)
	}()
	waitFile(t, sock)
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d; stderr %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "generic modem listening on "+sock) {
		t.Fatalf("stdout %q", stdout.String())
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--sim", "maybe"},
		{"--profile", "nokia"},
		{"--plmn", "4100"},
		{"--cell-plmn", "abcde"},
		{"--rat", "5g"},
		{"--link", "a", "--socket", "b"},
		{"--tty", "a", "--socket", "b"},
		{"--log-level", "loud"},
		{"extra"},
		{"ctl"},
		{"ctl", "--control", "x"},
	} {
		var out, errOut syncBuffer
		if code := run(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("run %q: exit %d, want 2 (stderr %q)", args, code, errOut.String())
		}
	}
}

// TestRunOnAnExistingTTY plays QEMU's "-serial pty": the test owns a pty
// master and modemsim serves the modem on its slave.
func TestRunOnAnExistingTTY(t *testing.T) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	master := os.NewFile(uintptr(fd), "ptmx")
	defer master.Close()
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave := fmt.Sprintf("/dev/pts/%d", n)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"--tty", slave, "--sim-init-delay", "0s", "--log-level", "error"}, &stdout, &stderr)
	}()
	// Reading the master fails with EIO until the slave is open: retry.
	got := make(chan string, 1)
	go func() {
		var b []byte
		buf := make([]byte, 256)
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			n, err := master.Read(buf)
			b = append(b, buf[:n]...)
			if bytes.Contains(b, []byte("+QIND: PB DONE\r\n")) {
				break
			}
			if err != nil {
				time.Sleep(10 * time.Millisecond)
			}
		}
		got <- string(b)
	}()
	select {
	case s := <-got:
		if !strings.HasPrefix(s, "\r\nRDY\r\n") {
			t.Fatalf("read %q, want the boot URCs", s)
		}
	case <-time.After(6 * time.Second):
		t.Fatal("no boot URCs on the tty")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d; stderr %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "eg25g modem on tty "+slave) {
		t.Fatalf("stdout %q", stdout.String())
	}
}
