package main

import (
	"context"
	"encoding/binary"
	"log/slog"
	"os"
	"testing"
	"time"

	"mehfooz/ui/input"
	"mehfooz/ui/key"
)

// event encodes one evdev record as this machine's kernel writes it.
func event(typ, code uint16, value int32) []byte {
	b := make([]byte, input.EventSize(input.WordSize))
	o := 2 * input.WordSize
	binary.NativeEndian.PutUint16(b[o:], typ)
	binary.NativeEndian.PutUint16(b[o+2:], code)
	binary.NativeEndian.PutUint32(b[o+4:], uint32(value))
	return b
}

func TestReadKeysForwardsKeysAndPowersOffOnThePowerKey(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	km := input.Keymap{108: key.Down, 116: key.Power}
	out := make(chan key.Key, 4)
	powered := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- readKeys(ctx, []*os.File{r}, km, out, func() { powered <- struct{}{} }, slog.New(slog.DiscardHandler))
	}()
	for _, code := range []uint16{108, 116} {
		w.Write(event(1, code, 1))
		w.Write(event(0, 0, 0))
		w.Write(event(1, code, 0))
		w.Write(event(0, 0, 0))
	}
	select {
	case k := <-out:
		if k != key.Down {
			t.Fatalf("got %v, want down", k)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no key forwarded")
	}
	select {
	case <-powered:
	case <-time.After(10 * time.Second):
		t.Fatal("the power key did not ask for a power-off")
	}
	select {
	case k := <-out:
		t.Fatalf("the power key reached the UI as %v", k)
	default:
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("readKeys did not stop when its context ended")
	}
}
