package board

import (
	"errors"
	"slices"
	"testing"
	"testing/fstest"

	"mehfooz/ui/key"
)

func TestLookupKnowsEveryBoardAndReturnsCopies(t *testing.T) {
	if got, want := Names(), []string{"handset-a64", "qemu-x86_64", "sim"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, n := range Names() {
		b, err := Lookup(n)
		if err != nil || b.Name != n {
			t.Fatalf("Lookup(%q) = %v, %v", n, b, err)
		}
	}
	a, _ := Lookup("qemu-x86_64")
	a.Modem.Port = "/dev/pts/9"
	a.Keys[1] = "call"
	b, _ := Lookup("qemu-x86_64")
	if b.Modem.Port != "/dev/ttyS1" || b.Keys[1] != "back" {
		t.Fatal("Lookup returned a shared board: a caller's change leaked into the profile")
	}
	if _, err := Lookup("pixel"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("Lookup(pixel) = %v, want ErrUnknown", err)
	}
}

func TestProfilesAreComplete(t *testing.T) {
	for _, n := range Names() {
		b, _ := Lookup(n)
		// The UI parses the map with ui/input.ParseKeymap: every name must
		// be one of its logical keys.
		for code, k := range b.Keys {
			if _, err := key.Parse(k); err != nil {
				t.Errorf("%s: code %d: %v", n, code, err)
			}
		}
		mapped := map[string]bool{}
		for _, k := range b.Keys {
			mapped[k] = true
		}
		// What a call needs from any keypad: dial, move, select, call, hang up.
		for _, k := range []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "#", "up", "down", "ok", "back", "call", "end"} {
			if !mapped[k] {
				t.Errorf("%s: no key produces %q", n, k)
			}
		}
		if !b.PID1 {
			continue
		}
		switch {
		case b.Arch == "":
			t.Errorf("%s: no GOARCH", n)
		case b.Modem.Port == "" || b.Modem.Baud == 0:
			t.Errorf("%s: no modem port", n)
		case b.Display.Device == "" || b.Display.Width == 0:
			t.Errorf("%s: no display", n)
		case len(b.Inputs) == 0:
			t.Errorf("%s: no input devices", n)
		case b.Watchdog.Device == "" || b.Watchdog.Timeout == 0:
			t.Errorf("%s: no watchdog", n)
		case b.Storage.Disk == "" || b.Storage.BootCtl == "" || b.Storage.Data == "" || b.Storage.DataDir == "":
			t.Errorf("%s: storage incomplete: %+v", n, b.Storage)
		case len(b.Kernel.Args) == 0:
			t.Errorf("%s: no kernel command line", n)
		}
	}
	if s, _ := Lookup("sim"); s.PID1 {
		t.Error("sim must not run init duties")
	}
}

func TestQEMUKeysCoverBothDigitRows(t *testing.T) {
	b, _ := Lookup("qemu-x86_64")
	for code, want := range map[uint16]string{2: "1", 10: "9", 11: "0", 79: "1", 82: "0", 73: "9", 28: "ok", 1: "back", 103: "up", 61: "call", 62: "end"} {
		if got := b.Keys[code]; got != want {
			t.Errorf("key %d = %q, want %q", code, got, want)
		}
	}
	h, _ := Lookup("handset-a64")
	for code, want := range map[uint16]string{0x200: "0", 0x209: "9", 0x20a: "*", 0x20b: "#", 231: "call", 0x160: "ok"} {
		if got := h.Keys[code]; got != want {
			t.Errorf("handset key %#x = %q, want %q", code, got, want)
		}
	}
}

func TestHandsetModemLinesRequestOrder(t *testing.T) {
	h, _ := Lookup("handset-a64")
	req := h.Modem.Lines.Request()
	var offs []uint32
	for _, c := range req {
		offs = append(offs, c.Offset)
	}
	if !slices.Equal(offs, []uint32{35, 68, 232, 233}) {
		t.Fatalf("request offsets = %v", offs)
	}
	if !req[0].Output || !req[1].Output || !req[2].Output || req[3].Output || !req[3].ActiveLow {
		t.Fatalf("request directions/polarity wrong: %+v", req)
	}
	for _, c := range req {
		if c.Initial {
			t.Fatalf("line %d starts asserted; taking the lines must not press or reset", c.Offset)
		}
	}
}

func TestInputPathsByName(t *testing.T) {
	b, _ := Lookup("qemu-x86_64")
	sys := fstest.MapFS{
		"sys/class/input/event0/device/name": {Data: []byte("AT Translated Set 2 keyboard\n")},
		"sys/class/input/event1/device/name": {Data: []byte("Power Button\n")},
		"sys/class/input/event2/device/name": {Data: []byte("QEMU Virtio Keyboard\n")},
		"sys/class/input/event3/device/name": {Data: []byte("ImExPS/2 Generic Explorer Mouse\n")},
		"sys/class/input/input4/name":        {Data: []byte("not an event node\n")},
	}
	got, err := b.InputPaths(sys)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/dev/input/event2", "/dev/input/event0", "/dev/input/event1"}
	if !slices.Equal(got, want) {
		t.Fatalf("InputPaths = %v, want %v", got, want)
	}
	none := fstest.MapFS{"sys/class/input/event0/device/name": {Data: []byte("mouse\n")}}
	if _, err := b.InputPaths(none); !errors.Is(err, ErrNotFound) {
		t.Fatalf("no keyboard: err = %v, want ErrNotFound", err)
	}
}

func TestPartitionByNameOnBootDiskOnly(t *testing.T) {
	b, _ := Lookup("qemu-x86_64")
	sys := fstest.MapFS{
		"sys/block/vda/uevent":      {Data: []byte("MAJOR=254\nMINOR=0\nDEVNAME=vda\nDEVTYPE=disk\n")},
		"sys/block/vda/vda1/uevent": {Data: []byte("MAJOR=254\nMINOR=1\nDEVNAME=vda1\nDEVTYPE=partition\nPARTN=1\nPARTNAME=bootctl\n")},
		"sys/block/vda/vda4/uevent": {Data: []byte("MAJOR=254\nMINOR=4\nDEVNAME=vda4\nDEVTYPE=partition\nPARTN=4\nPARTNAME=perm\n")},
		"sys/block/vda/queue/x":     {Data: []byte("")},
		// A second disk with a partition of the same name is not ours.
		"sys/block/vdb/vdb1/uevent": {Data: []byte("DEVNAME=vdb1\nPARTNAME=perm\n")},
	}
	for part, want := range map[string]string{"perm": "/dev/vda4", "bootctl": "/dev/vda1"} {
		if got, err := b.Partition(sys, part); err != nil || got != want {
			t.Errorf("Partition(%s) = %q, %v; want %s", part, got, err, want)
		}
	}
	if _, err := b.Partition(sys, "slot_a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing partition: err = %v, want ErrNotFound", err)
	}
	sys["sys/block/vda/vda5/uevent"] = &fstest.MapFile{Data: []byte("DEVNAME=vda5\nPARTNAME=perm\n")}
	if _, err := b.Partition(sys, "perm"); err == nil {
		t.Error("two partitions named perm: no error")
	}
	s, _ := Lookup("sim")
	if _, err := s.Partition(sys, "perm"); !errors.Is(err, ErrNotFound) {
		t.Errorf("sim has no disk: err = %v", err)
	}
}
