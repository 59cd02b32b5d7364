// Package flash writes a signed image into the inactive A/B slot of a
// handset's storage (a block device or a disk-image file that cmd/ opens),
// and inspects what a device holds. It verifies the image's signature and
// hashes before writing anything, refuses images for another board or below
// the device's anti-rollback floor, makes the target slot unbootable while
// it is being written, reads the written bytes back from the medium, and
// only then marks the slot bootable with a fresh try counter.
package flash

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"mehfooz/image"
	"mehfooz/image/disk"
	"mehfooz/image/slot"
)

// Device is the storage being flashed.
type Device interface {
	io.ReaderAt
	io.WriterAt
}

// Target is an opened device.
type Target struct {
	Dev  Device
	Size int64
	// Sync makes writes durable (fsync). DropCache evicts the device's
	// cached pages so the read-back comes from the medium
	// (posix_fadvise DONTNEED). Either may be nil.
	Sync, DropCache func() error
}

// Options for Flash.
type Options struct {
	Keys  []ed25519.PublicKey // keys an image must be signed by
	Board string              // the board the device is
	// Format writes a fresh layout when the target has none. It refuses a
	// target that has one: re-partitioning would erase the data partition.
	Format   bool
	SlotSize int64 // for Format; 0: disk.DefaultSlot
	Rand     io.Reader
	Progress func(done, total int64)
}

// Result says what Flash did.
type Result struct {
	Slot      int
	Manifest  *image.Manifest
	Formatted bool // a new layout was written: the data partition needs a file system
	Layout    disk.Layout
}

// Errors callers branch on (besides image's ErrUnsigned, ErrBadSignature,
// ErrTampered, ErrWrongBoard, ErrOlder).
var (
	ErrNoLayout  = errors.New("flash: target has no Mehfooz partition layout")
	ErrHasLayout = errors.New("flash: target already has a Mehfooz partition layout")
	ErrReadBack  = errors.New("flash: written bytes read back differently")
)

const chunk = 1 << 20

// Flash writes the image of imgSize bytes read from img to t.
func Flash(img io.ReaderAt, imgSize int64, t Target, o Options) (*Result, error) {
	m, err := image.Verify(img, imgSize, o.Keys)
	if err != nil {
		return nil, fmt.Errorf("flash: refusing image: %w", err)
	}
	if m.Board != o.Board {
		return nil, fmt.Errorf("flash: refusing image: %w: built for %s, the target is %s", image.ErrWrongBoard, m.Board, o.Board)
	}
	res := &Result{Manifest: m}
	layout, err := disk.Read(t.Dev, t.Size)
	switch {
	case err == nil && o.Format:
		return nil, fmt.Errorf("%w: flash without --format to update it", ErrHasLayout)
	case errors.Is(err, disk.ErrNoTable) && !o.Format:
		return nil, fmt.Errorf("%w (%v): pass --format to create one, which erases the target", ErrNoLayout, err)
	case errors.Is(err, disk.ErrNoTable):
		if layout, err = format(t, o); err != nil {
			return nil, err
		}
		res.Formatted = true
	case err != nil:
		return nil, fmt.Errorf("flash: %w", err)
	}
	res.Layout = layout
	store, slots, err := open(t, layout)
	if err != nil {
		return nil, err
	}
	st, err := store.Load()
	if err != nil {
		return nil, fmt.Errorf("flash: boot state unreadable (%w); the target needs re-provisioning", err)
	}
	for i, sr := range slots {
		if st.Slots[i].Priority == 0 && st.Slots[i].Version == 0 {
			continue
		}
		if h, err := image.ReadHeader(sr); err == nil {
			if other, err := h.Verify(o.Keys); err == nil && other.Board != o.Board {
				return nil, fmt.Errorf("flash: %w: the target holds a %s image in slot %s; is --board right?", image.ErrWrongBoard, other.Board, slot.Name(i))
			}
		}
	}
	if m.Version < st.Floor {
		return nil, fmt.Errorf("flash: refusing image: %w: version %d is below the device's floor %d", image.ErrOlder, m.Version, st.Floor)
	}
	i := st.Target()
	res.Slot = i
	part, _ := layout.Find([]string{disk.SlotA, disk.SlotB}[i])
	if part.Size < imgSize {
		return nil, fmt.Errorf("flash: image of %d bytes does not fit slot %s of %d bytes", imgSize, slot.Name(i), part.Size)
	}
	// From here the target slot is unbootable until the read-back passes:
	// a power cut or an error leaves the other slot to boot from.
	st.Invalidate(i)
	if err := store.Save(&st); err != nil {
		return nil, fmt.Errorf("flash: %w", err)
	}
	if err := copyImage(img, imgSize, t.Dev, part.Start, o.Progress); err != nil {
		return nil, err
	}
	for _, f := range []func() error{t.Sync, t.DropCache} {
		if f != nil {
			if err := f(); err != nil {
				return nil, fmt.Errorf("flash: flush: %w", err)
			}
		}
	}
	if err := readBack(img, imgSize, slots[i]); err != nil {
		return nil, err
	}
	if _, err := slot.VerifySlot(slots[i], o.Keys, o.Board, st.Floor); err != nil {
		return nil, fmt.Errorf("%w: slot %s does not verify: %w", ErrReadBack, slot.Name(i), err)
	}
	st.Install(i, m.Version)
	if err := store.Save(&st); err != nil {
		return nil, fmt.Errorf("flash: %w", err)
	}
	return res, nil
}

func format(t Target, o Options) (disk.Layout, error) {
	size := o.SlotSize
	if size == 0 {
		size = disk.DefaultSlot
	}
	l, err := disk.Plan(t.Size, size)
	if err != nil {
		return l, fmt.Errorf("flash: %w", err)
	}
	if l, err = disk.Format(t.Dev, l, o.Rand); err != nil {
		return l, fmt.Errorf("flash: %w", err)
	}
	store, _, err := open(t, l)
	if err != nil {
		return l, err
	}
	if _, err := store.Init(); err != nil {
		return l, fmt.Errorf("flash: %w", err)
	}
	return l, nil
}

// section is a partition of the target as a ReaderAt and WriterAt.
type section struct {
	dev        Device
	start, len int64
}

func (s section) ReadAt(p []byte, off int64) (int, error) {
	return io.NewSectionReader(s.dev, s.start, s.len).ReadAt(p, off)
}

func (s section) WriteAt(p []byte, off int64) (int, error) {
	if off < 0 || off+int64(len(p)) > s.len {
		return 0, fmt.Errorf("flash: write of %d bytes at %d beyond a partition of %d", len(p), off, s.len)
	}
	return s.dev.WriteAt(p, s.start+off)
}

func open(t Target, l disk.Layout) (*slot.Store, [2]io.ReaderAt, error) {
	var slots [2]io.ReaderAt
	bc, err := l.Find(disk.BootCtl)
	if err != nil {
		return nil, slots, fmt.Errorf("flash: %w", err)
	}
	for i, name := range []string{disk.SlotA, disk.SlotB} {
		p, err := l.Find(name)
		if err != nil {
			return nil, slots, fmt.Errorf("flash: %w", err)
		}
		slots[i] = section{t.Dev, p.Start, p.Size}
	}
	return slot.NewStore(section{t.Dev, bc.Start, bc.Size}, t.Sync), slots, nil
}

func copyImage(img io.ReaderAt, size int64, dev Device, at int64, progress func(done, total int64)) error {
	buf := make([]byte, chunk)
	for off := int64(0); off < size; off += chunk {
		n := min(chunk, size-off)
		if _, err := img.ReadAt(buf[:n], off); err != nil && !(errors.Is(err, io.EOF) && off+n == size) {
			return fmt.Errorf("flash: read image: %w", err)
		}
		if _, err := dev.WriteAt(buf[:n], at+off); err != nil {
			return fmt.Errorf("flash: write at %d: %w", at+off, err)
		}
		if progress != nil {
			progress(off+n, size)
		}
	}
	return nil
}

// readBack compares the SHA-256 of what the slot holds with the image's.
func readBack(img io.ReaderAt, size int64, written io.ReaderAt) error {
	sum := func(r io.ReaderAt) ([]byte, error) {
		h := sha256.New()
		if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err != nil {
			return nil, err
		}
		return h.Sum(nil), nil
	}
	want, err := sum(img)
	if err != nil {
		return fmt.Errorf("flash: read image: %w", err)
	}
	got, err := sum(written)
	if err != nil {
		return fmt.Errorf("flash: read back: %w", err)
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%w: sha256 %x, wrote %x", ErrReadBack, got, want)
	}
	return nil
}
