package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"mehfooz/daemon"
	"mehfooz/daemon/api"
	"mehfooz/daemon/state"
)

// chardev plays QEMU's socket chardev for a guest UART: a unix socket at
// path takes one client at a time, whose bytes go down line; what comes up
// line goes to the client of the moment, or nowhere.
func chardev(t *testing.T, path string, line *os.File) {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var cur net.Conn
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // line -> client
		defer wg.Done()
		buf := make([]byte, 4096)
		for {
			n, err := line.Read(buf)
			if err != nil {
				return
			}
			mu.Lock()
			if cur != nil {
				cur.Write(buf[:n])
			}
			mu.Unlock()
		}
	}()
	go func() { // clients, one at a time -> line
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			cur = c
			mu.Unlock()
			io.Copy(line, c)
			mu.Lock()
			cur = nil
			mu.Unlock()
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); line.Close(); wg.Wait() })
}

// TestBenchLineCommands drives phonectl's --bench commands against a real
// daemon's bench server, through a socket as QEMU gives one.
func TestBenchLineCommands(t *testing.T) {
	dir, e, caDir, passFile, d, keys := enrollable(t, "qemu-x86_64")

	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	guest, host := os.NewFile(uintptr(fds[0]), "ttyS2"), os.NewFile(uintptr(fds[1]), "chardev")
	sock := filepath.Join(dir, "bench.sock")
	chardev(t, sock, host)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- api.NewBenchServer(d, slog.New(slog.DiscardHandler)).Serve(ctx, api.StreamListener(guest))
	}()
	t.Cleanup(func() { cancel(); <-done })

	if code, out, stderr := runIn(t, e, "status", "--bench", sock); code != 0 || !strings.Contains(out, "qemu-x86_64") {
		t.Fatalf("status --bench: %d %q %q", code, out, stderr)
	}
	if code, _, stderr := runIn(t, e, "status", "--bench", sock, "--wait", "data-up"); code != 2 || !strings.Contains(stderr, "--wait") {
		t.Fatalf("status --bench --wait: %d %q", code, stderr)
	}
	if code, _, stderr := runIn(t, e, "pin", "--bench", sock, "change"); code != 2 || !strings.Contains(stderr, "only the SIM PIN") {
		t.Fatalf("pin change over the bench: %d %q", code, stderr)
	}
	e.stdin = strings.NewReader("4321\n")
	if code, _, stderr := runIn(t, e, "pin", "--bench", sock, "sim"); code != 1 || !strings.Contains(stderr, "unlock the handset first") {
		t.Fatalf("SIM PIN before the owner unlocked: %d %q", code, stderr)
	}
	if err := d.Intent(context.Background(), state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")}); err != nil {
		t.Fatal(err)
	}
	e.stdin = strings.NewReader("4321\n")
	if code, _, stderr := runIn(t, e, "pin", "--bench", sock, "sim"); code != 0 {
		t.Fatalf("pin --bench sim: %d %q", code, stderr)
	}
	if pin, err := (daemon.SIMPINs{Keys: keys}).SIMPIN(context.Background(), ""); err != nil || string(pin) != "4321" {
		t.Fatalf("stored SIM PIN %q, %v", pin, err)
	}
	if code, out, stderr := runIn(t, e, "enroll", "--ca", caDir, "--passphrase-file", passFile, "--bench", sock, "--device", "pk-gov-0009"); code != 0 || !strings.Contains(out, "enrolled pk-gov-0009") {
		t.Fatalf("enroll --bench: %d %q %q", code, out, stderr)
	}
	select {
	case <-keys.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("handset not ready after enrollment over the bench line")
	}
}
