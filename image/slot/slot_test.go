package slot

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"io"
	"testing"

	"mehfooz/image"
)

type mem []byte

func (m mem) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m)) {
		return 0, io.EOF
	}
	n := copy(p, m[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m mem) WriteAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > int64(len(m)) {
		return 0, errors.New("write beyond the end")
	}
	return copy(m[off:], p), nil
}

func TestChooseSpendsTriesAndRollsBack(t *testing.T) {
	var s State
	if _, err := s.Choose(); !errors.Is(err, ErrNoBootable) {
		t.Fatalf("empty state: %v", err)
	}
	s.Install(A, 1)
	s.MarkSuccessful(A) // version 1 proven: floor 1
	if s.Floor != 1 {
		t.Fatalf("floor = %d", s.Floor)
	}
	if got := s.Target(); got != B {
		t.Fatalf("Target with A good = %s", Name(got))
	}
	s.Install(B, 2) // the update
	for try := range DefaultTries {
		i, err := s.Choose()
		if err != nil || i != B {
			t.Fatalf("try %d chose %s, %v; want b", try, Name(i), err)
		}
	}
	// B never marked successful: out of tries, the device rolls back to A.
	if i, err := s.Choose(); err != nil || i != A {
		t.Fatalf("after B's tries: %s, %v; want a", Name(i), err)
	}
	// Update again and this time B proves itself: the floor rises and A
	// (version 1) can never boot again.
	s.Install(B, 3)
	if i, _ := s.Choose(); i != B {
		t.Fatal("new B not chosen")
	}
	s.MarkSuccessful(B)
	if s.Floor != 3 || s.Bootable(A) {
		t.Fatalf("floor %d, A bootable %v: want 3, false", s.Floor, s.Bootable(A))
	}
	if got := s.Target(); got != A {
		t.Fatalf("Target with only B good = %s", Name(got))
	}
}

func TestInstallKeepsPrioritiesInRange(t *testing.T) {
	var s State
	for v := uint64(1); v < 40; v++ {
		i := s.Target()
		s.Install(i, v)
		s.Choose()
		s.MarkSuccessful(i)
		if s.Slots[i].Priority <= s.Slots[1-i].Priority || s.Slots[i].Priority > MaxPriority {
			t.Fatalf("v%d: priorities %d/%d", v, s.Slots[0].Priority, s.Slots[1].Priority)
		}
	}
}

func TestStoreSurvivesATornWrite(t *testing.T) {
	dev := make(mem, 1<<20)
	st := NewStore(dev, nil)
	if _, err := st.Load(); !errors.Is(err, ErrNoState) {
		t.Fatalf("blank device: %v", err)
	}
	s, err := st.Init()
	if err != nil {
		t.Fatal(err)
	}
	s.Install(A, 5)
	if err := st.Save(&s); err != nil {
		t.Fatal(err)
	}
	s.MarkSuccessful(A)
	if err := st.Save(&s); err != nil {
		t.Fatal(err)
	}
	got, err := st.Load()
	if err != nil || got != s || got.Generation != 3 {
		t.Fatalf("Load = %+v, %v; saved %+v", got, err, s)
	}
	// The next write is torn: half of the copy it goes to is garbage.
	s.Install(B, 6)
	next := s
	next.Generation++
	enc := next.Encode()
	copy(dev[copyStride*((next.Generation+1)%2):], enc[:100])
	got, err = st.Load()
	if err != nil || got.Generation != 3 || !got.Slots[A].Successful || got.Slots[B].Priority != 0 {
		t.Fatalf("after a torn write: %+v, %v; want generation 3 intact", got, err)
	}
	// Both copies damaged: no state, and the error says so.
	dev[10] ^= 1
	dev[copyStride+10] ^= 1
	if _, err := st.Load(); !errors.Is(err, ErrNoState) {
		t.Fatalf("both damaged: %v", err)
	}
}

func TestDecodeRejects(t *testing.T) {
	s := State{Generation: 9, Floor: 2, Slots: [2]Slot{{Priority: 2, Tries: 1, Version: 2}, {}}}
	good := s.Encode()
	if got, err := Decode(good); err != nil || got != s {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for name, edit := range map[string]func(b []byte){
		"crc":      func(b []byte) { b[30] ^= 1 },
		"magic":    func(b []byte) { b[0] = 'X' },
		"priority": func(b []byte) { b[32] = 16 },
		"tries":    func(b []byte) { b[33] = 8 },
		"bool":     func(b []byte) { b[34] = 2 },
		"reserved": func(b []byte) { b[100] = 1 },
	} {
		b := bytes.Clone(good)
		edit(b)
		if name != "crc" && name != "magic" { // make the CRC right so the field check is what fails
			copy(b[crcOffset:], (&State{}).Encode()[crcOffset:])
			fixCRC(b)
		}
		if _, err := Decode(b); !errors.Is(err, ErrNoState) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}

func fixCRC(b []byte) {
	s := crcOf(b[:crcOffset])
	b[crcOffset], b[crcOffset+1], b[crcOffset+2], b[crcOffset+3] = byte(s), byte(s>>8), byte(s>>16), byte(s>>24)
}

func FuzzDecode(f *testing.F) {
	s := State{Generation: 1, Floor: 1, Slots: [2]Slot{{Priority: 1, Tries: 3, Version: 1}, {Priority: 2, Successful: true, Version: 2}}}
	f.Add(s.Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) >= crcOffset+4 {
			fixCRC(b) // get past the CRC to reach the field checks
		}
		s, err := Decode(b)
		if err != nil {
			return
		}
		back, err := Decode(s.Encode())
		if err != nil || back != s {
			t.Fatalf("accepted state does not round-trip: %+v -> %+v, %v", s, back, err)
		}
	})
}

// Boot selection over real signed images.

func key(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

func signedImage(t *testing.T, board string, version uint64) []byte {
	t.Helper()
	var b bytes.Buffer
	err := image.Write(&b, image.Manifest{Board: board, Arch: "amd64", Version: version, Kernel: "6.1"},
		image.Contents{Kernel: []byte("kernel"), Initramfs: []byte("initramfs"), Cmdline: []byte("quiet")}, key(1))
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func slotDev(img []byte) mem {
	m := make(mem, 1<<20)
	copy(m, img)
	return m
}

func TestSelectVerifiesAndFallsBack(t *testing.T) {
	keys := []ed25519.PublicKey{key(1).Public().(ed25519.PublicKey)}
	bootctl := make(mem, 1<<20)
	st := NewStore(bootctl, nil)
	s, _ := st.Init()
	s.Install(A, 1)
	s.MarkSuccessful(A)
	s.Install(B, 2)
	st.Save(&s)
	a, b := slotDev(signedImage(t, "qemu-x86_64", 1)), slotDev(signedImage(t, "qemu-x86_64", 2))

	i, m, refused, err := Select(st, [2]io.ReaderAt{a, b}, keys, "qemu-x86_64")
	if err != nil || i != B || m.Version != 2 || len(refused) != 0 {
		t.Fatalf("Select = %s v%v %v %v", Name(i), m, refused, err)
	}
	if s, _ := st.Load(); s.Slots[B].Tries != DefaultTries-1 {
		t.Fatalf("try not spent and saved: %+v", s.Slots[B])
	}
	// Tamper with B's kernel: B is refused and made unbootable, A boots.
	b[64<<10+2] ^= 1
	i, m, refused, err = Select(st, [2]io.ReaderAt{a, b}, keys, "qemu-x86_64")
	if err != nil || i != A || m.Version != 1 || len(refused) != 1 || !errors.Is(refused[0], image.ErrTampered) {
		t.Fatalf("tampered B: Select = %s %v %v", Name(i), refused, err)
	}
	if s, _ := st.Load(); s.Bootable(B) {
		t.Fatal("tampered slot still bootable")
	}
	// A replaced by an image for another board: nothing boots.
	copy(a, signedImage(t, "handset-a64", 1))
	_, _, refused, err = Select(st, [2]io.ReaderAt{a, b}, keys, "qemu-x86_64")
	if !errors.Is(err, ErrNoBootable) || len(refused) != 1 || !errors.Is(refused[0], image.ErrWrongBoard) {
		t.Fatalf("wrong board: %v %v", refused, err)
	}
}

func TestVerifySlotRefusesOlderThanFloor(t *testing.T) {
	keys := []ed25519.PublicKey{key(1).Public().(ed25519.PublicKey)}
	if _, err := VerifySlot(slotDev(signedImage(t, "x", 4)), keys, "x", 5); !errors.Is(err, image.ErrOlder) {
		t.Fatalf("older: %v", err)
	}
	if _, err := VerifySlot(slotDev(signedImage(t, "x", 4)), []ed25519.PublicKey{key(2).Public().(ed25519.PublicKey)}, "x", 0); !errors.Is(err, image.ErrBadSignature) {
		t.Fatalf("wrong key: %v", err)
	}
}
