package input

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"runtime"
	"syscall"
	"testing"
	"time"

	"mehfooz/ui/key"
)

func checkGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				t.Errorf("goroutines: %d before, %d after", before, runtime.NumGoroutine())
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func TestRunDeliversKeysAndStopsOnCancel(t *testing.T) {
	checkGoroutines(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan key.Key)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, r, testKeymap, out, nil) }()

	var b []byte
	for _, ev := range []Event{{Type: EvKey, Code: 108, Value: 1}, {Type: EvSyn}, {Type: EvKey, Code: 108, Value: 0}, {Type: EvKey, Code: 231, Value: 1}} {
		b = appendEvent(b, ev, WordSize, binary.NativeEndian)
	}
	// Split a record across writes: reads must reassemble it.
	if _, err := w.Write(b[:10]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if _, err := w.Write(b[10:]); err != nil {
		t.Fatal(err)
	}
	for _, want := range []key.Key{key.Down, key.Call} {
		select {
		case got := <-out:
			if got != want {
				t.Fatalf("key %v, want %v", got, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("no key, want %v", want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop on cancel while blocked in read")
	}
}

func TestRunReportsEndOfDevice(t *testing.T) {
	checkGoroutines(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w.Write(make([]byte, 5))
	w.Close() // the device went away mid-record
	err = Run(context.Background(), r, testKeymap, make(chan key.Key, 1), nil)
	if !errors.Is(err, ErrShortEvent) {
		t.Fatalf("Run = %v, want ErrShortEvent", err)
	}
}

func TestIoctlsRefuseNonInputFiles(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if _, err := Grab(r); !errors.Is(err, syscall.ENOTTY) && !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("Grab(pipe) = %v, want ENOTTY", err)
	}
	if _, err := Name(r); err == nil {
		t.Fatal("Name(pipe) succeeded")
	}
}

// TestRunStaysInterruptibleAfterIoctls: asking a file for its descriptor
// with Fd puts it back into blocking mode, after which no read deadline can
// interrupt a read and Run could never be stopped. Name and Grab must not.
func TestRunStaysInterruptibleAfterIoctls(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	defer r.Close()
	Name(r) // ENOTTY on a pipe; what matters is what it does to r
	Grab(r)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, r, Keymap{}, make(chan key.Key), nil) }()
	time.Sleep(50 * time.Millisecond) // let Run block in its read
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after Name and Grab: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run could not be interrupted after Name and Grab")
	}
}
