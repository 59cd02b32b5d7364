package pid1

import (
	"context"
	"errors"
	"io"
	"testing"

	"mehfooz/image/slot"
)

func TestBootSucceededMarksTheBootedSlot(t *testing.T) {
	sys := newFakeSys()
	bootctl := make([]byte, 1<<20)
	sys.devices["/dev/vda1"] = bootctl
	st := slot.NewStore(&memDevice{b: bootctl}, nil)
	state, _ := st.Init()
	state.Install(slot.A, 4)
	state.MarkSuccessful(slot.A)
	state.Install(slot.B, 5)
	state.Choose() // the boot loader spent one of B's tries
	st.Save(&state)

	s, err := Boot(context.Background(), Config{Board: qemuBoard(t), Log: discard(), Console: io.Discard, Sys: sys, Root: qemuRoot()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.BootSucceeded(); err != nil { // qemuRoot's cmdline says mehfooz.slot=b
		t.Fatal(err)
	}
	got, _ := st.Load()
	if !got.Slots[slot.B].Successful || got.Floor != 5 || got.Bootable(slot.A) {
		t.Fatalf("after BootSucceeded: %+v", got)
	}
	// A slot invalidated meanwhile (a flash started) is not resurrected.
	got.Invalidate(slot.B)
	st.Save(&got)
	if err := s.BootSucceeded(); err == nil {
		t.Fatal("an invalidated slot was marked successful")
	}
}

func TestBootSucceededWithoutSlot(t *testing.T) {
	sys := newFakeSys()
	root := qemuRoot()
	root["proc/cmdline"].Data = []byte("console=ttyS0\n")
	s, _ := Boot(context.Background(), Config{Board: qemuBoard(t), Log: discard(), Console: io.Discard, Sys: sys, Root: root})
	defer s.Close()
	if err := s.BootSucceeded(); !errors.Is(err, ErrNoSlot) {
		t.Fatalf("BootSucceeded without a slot = %v", err)
	}
}
