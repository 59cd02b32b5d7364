package flash

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"mehfooz/image"
	"mehfooz/image/disk"
	"mehfooz/image/slot"
)

const board = "qemu-x86_64"

func key(seed byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
}

var keys = []ed25519.PublicKey{key(1).Public().(ed25519.PublicKey)}

func signed(t *testing.T, b string, version uint64, signer ed25519.PrivateKey) []byte {
	t.Helper()
	var buf bytes.Buffer
	err := image.Write(&buf, image.Manifest{Board: b, Arch: "amd64", Version: version, Kernel: "6.1"},
		image.Contents{Kernel: bytes.Repeat([]byte{byte(version)}, 300<<10), Initramfs: []byte("initramfs"), Cmdline: []byte("quiet")}, signer)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// memDev is a device in memory that can fail or corrupt writes past a point.
type memDev struct {
	b         []byte
	failAfter int64 // writes reaching past this offset fail (0: never)
	corruptAt int64 // a write covering this offset flips that byte (0: never)
	syncs     int
}

func (m *memDev) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(m.b)) {
		return 0, io.EOF
	}
	n := copy(p, m.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (m *memDev) WriteAt(p []byte, off int64) (int, error) {
	if m.failAfter > 0 && off+int64(len(p)) > m.failAfter {
		return 0, errors.New("I/O error")
	}
	n := copy(m.b[off:], p)
	if m.corruptAt > 0 && m.corruptAt >= off && m.corruptAt < off+int64(n) {
		m.b[m.corruptAt] ^= 0x20
	}
	return n, nil
}

func target(d *memDev) Target {
	return Target{Dev: d, Size: int64(len(d.b)), Sync: func() error { d.syncs++; return nil }}
}

func opts(format bool) Options {
	return Options{Keys: keys, Board: board, Format: format, SlotSize: 8 << 20, Rand: rand.Reader}
}

func flash(t *testing.T, d *memDev, img []byte, o Options) (*Result, error) {
	t.Helper()
	return Flash(bytes.NewReader(img), int64(len(img)), target(d), o)
}

func state(t *testing.T, d *memDev) slot.State {
	t.Helper()
	r, err := Inspect(target(d), keys, board)
	if err != nil {
		t.Fatal(err)
	}
	return r.State
}

func TestFlashFormatsThenAlternatesSlots(t *testing.T) {
	d := &memDev{b: make([]byte, 40<<20)}
	if _, err := flash(t, d, signed(t, board, 1, key(1)), opts(false)); !errors.Is(err, ErrNoLayout) {
		t.Fatalf("blank target without --format: %v", err)
	}
	var progress []int64
	o := opts(true)
	o.Progress = func(done, total int64) { progress = append(progress, done*100/total) }
	res, err := flash(t, d, signed(t, board, 1, key(1)), o)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Formatted || res.Slot != slot.A || progress[len(progress)-1] != 100 || d.syncs == 0 {
		t.Fatalf("first flash: %+v, progress %v, syncs %d", res, progress, d.syncs)
	}
	if _, err := flash(t, d, signed(t, board, 2, key(1)), opts(true)); !errors.Is(err, ErrHasLayout) {
		t.Fatalf("--format over a layout: %v", err)
	}
	res, err = flash(t, d, signed(t, board, 2, key(1)), opts(false))
	if err != nil || res.Slot != slot.B {
		t.Fatalf("second flash: %+v, %v", res, err)
	}
	st := state(t, d)
	if i, _ := st.Choose(); i != slot.B {
		t.Fatalf("the newest image is not what boots next: %+v", st)
	}
	r, _ := Inspect(target(d), keys, board)
	for i, sr := range r.Slots {
		if sr.Err != nil || sr.Manifest.Version != uint64(i+1) {
			t.Errorf("slot %s: %+v", slot.Name(i), sr)
		}
	}
}

func TestFlashRefusesBadImagesAndTouchesNothing(t *testing.T) {
	d := &memDev{b: make([]byte, 40<<20)}
	if _, err := flash(t, d, signed(t, board, 3, key(1)), opts(true)); err != nil {
		t.Fatal(err)
	}
	// Boot it and prove it good: the floor becomes 3.
	markGood(t, d)
	before := bytes.Clone(d.b)

	good := signed(t, board, 4, key(1))
	tampered := bytes.Clone(good)
	tampered[len(tampered)-3] ^= 1
	unsigned := bytes.Clone(good)
	copy(unsigned[16:20], []byte{0, 0, 0, 0})
	for name, c := range map[string]struct {
		img  []byte
		want error
	}{
		"tampered":    {tampered, image.ErrTampered},
		"unsigned":    {unsigned, image.ErrUnsigned},
		"foreign key": {signed(t, board, 4, key(2)), image.ErrBadSignature},
		"wrong board": {signed(t, "handset-a64", 4, key(1)), image.ErrWrongBoard},
		"older":       {signed(t, board, 2, key(1)), image.ErrOlder},
	} {
		if _, err := flash(t, d, c.img, opts(false)); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", name, err, c.want)
		}
		if !bytes.Equal(d.b, before) {
			t.Fatalf("%s: the target changed", name)
		}
	}
	// The device says it is a qemu board; the technician says handset.
	o := opts(false)
	o.Board = "handset-a64"
	if _, err := flash(t, d, signed(t, "handset-a64", 4, key(1)), o); !errors.Is(err, image.ErrWrongBoard) {
		t.Errorf("handset image onto a qemu device: %v", err)
	}
	// The same version again is allowed (a re-flash).
	if _, err := flash(t, d, signed(t, board, 3, key(1)), opts(false)); err != nil {
		t.Errorf("re-flash of the floor version: %v", err)
	}
}

func markGood(t *testing.T, d *memDev) {
	t.Helper()
	l, _ := disk.Read(d, int64(len(d.b)))
	store, _, _ := open(target(d), l)
	st, _ := store.Load()
	i, err := st.Choose()
	if err != nil {
		t.Fatal(err)
	}
	st.MarkSuccessful(i)
	if err := store.Save(&st); err != nil {
		t.Fatal(err)
	}
}

func TestFailedWriteLeavesTheGoodSlot(t *testing.T) {
	d := &memDev{b: make([]byte, 40<<20)}
	if _, err := flash(t, d, signed(t, board, 1, key(1)), opts(true)); err != nil {
		t.Fatal(err)
	}
	markGood(t, d)
	l, _ := disk.Read(d, int64(len(d.b)))
	b, _ := l.Find(disk.SlotB)

	d.failAfter = b.Start + 100<<10 // the medium fails 100 KiB into slot B
	if _, err := flash(t, d, signed(t, board, 2, key(1)), opts(false)); err == nil {
		t.Fatal("failed write reported success")
	}
	d.failAfter = 0
	st := state(t, d)
	if st.Bootable(slot.B) || !st.Bootable(slot.A) {
		t.Fatalf("after a failed write: %+v", st)
	}
	d.corruptAt = b.Start + 70<<10 // the medium silently flips a bit
	if _, err := flash(t, d, signed(t, board, 2, key(1)), opts(false)); !errors.Is(err, ErrReadBack) {
		t.Fatalf("corrupting medium: %v, want ErrReadBack", err)
	}
	if st := state(t, d); st.Bootable(slot.B) {
		t.Fatal("a slot that read back wrong is bootable")
	}
	st = state(t, d)
	if i, _ := st.Choose(); i != slot.A {
		t.Fatal("the good slot does not boot")
	}
}

func TestSlotTooSmall(t *testing.T) {
	d := &memDev{b: make([]byte, 40<<20)}
	o := opts(true)
	o.SlotSize = 1 << 20
	var buf bytes.Buffer
	image.Write(&buf, image.Manifest{Board: board, Arch: "amd64", Version: 1, Kernel: "6.1"},
		image.Contents{Kernel: make([]byte, 2<<20), Initramfs: []byte("i"), Cmdline: []byte("c")}, key(1))
	if _, err := flash(t, d, buf.Bytes(), o); err == nil {
		t.Fatal("an image larger than the slot was flashed")
	}
}
