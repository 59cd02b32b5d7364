package main

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mehfooz/daemon/api"
)

func TestParseRejectsBadInvocations(t *testing.T) {
	for _, args := range [][]string{
		{"--board", "nokia-3310", "--data", "x"},
		{"--board", "sim"}, // sim has no data partition: --data is required
		{"--data", "x", "extra"},
		{"--data", "x", "--log-level", "loud"},
	} {
		var errb bytes.Buffer
		if code := run(context.Background(), args, &bytes.Buffer{}, &errb); code != 2 {
			t.Errorf("phoned %v: exit %d, want 2 (stderr %q)", args, code, errb.String())
		}
	}
}

// TestSimBoardServesAndStops runs phoned as the demo does, reads its state
// and a screenshot through the local API, then stops it.
func TestSimBoardServesAndStops(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "api.sock")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"--data", dir, "--screen", "240x320"}, &out, &errb) }()

	c := api.NewClient(func(ctx context.Context) (net.Conn, error) { return net.Dial("unix", sock) })
	deadline := time.Now().Add(20 * time.Second)
	var png []byte
	for {
		shot, err := c.Screenshot(context.Background())
		if err == nil {
			png = shot
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("no screenshot: %v\nstderr: %s", err, errb.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot is not a PNG: %q", png[:8])
	}
	s, err := c.State(context.Background())
	if err != nil || s.Board != "sim" {
		t.Fatalf("state = %+v, %v", s, err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d\nstderr: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "mehfooz: ready board=sim") {
		t.Fatalf("no ready line on the console: %q", out.String())
	}
}
