// Package disk lays out a handset's storage as a GUID partition table
// (UEFI Specification 2.10, §5.3): a protective MBR, the primary header and
// entry array, the partitions, and the backup array and header at the end.
// The layout is the same on a QEMU disk-image file and on the handset's
// eMMC: a boot-control partition (image/slot), two image slots A and B,
// and the persistent data partition.
//
// Read checks both CRCs and every bound before trusting a table, so it can
// be pointed at any disk a technician plugs in.
package disk

import (
	"errors"
	"fmt"
)

// Partition names of the handset layout.
const (
	BootCtl = "bootctl"
	SlotA   = "slot_a"
	SlotB   = "slot_b"
	Data    = "perm"
)

// SectorSize is the logical block size the layout uses. eMMC and QEMU's
// virtio disks have 512-byte sectors; 4Kn media are refused.
const SectorSize = 512

// Sizes of the layout.
const (
	alignment     = 1 << 20 // partitions start on MiB boundaries
	bootCtlSize   = 1 << 20
	minDataSize   = 16 << 20
	entryCount    = 128
	entrySize     = 128
	entryArrayLen = entryCount * entrySize     // 16 KiB
	entrySectors  = entryArrayLen / SectorSize // 32
	firstUsable   = 2 + entrySectors           // LBA 34
	DefaultSlot   = 64 << 20                   // room for a kernel, an initramfs and growth
)

// Partition is one entry of the table, in bytes.
type Partition struct {
	Name   string
	Type   GUID
	GUID   GUID
	Start  int64 // byte offset, sector aligned
	Size   int64
	Number int // 1-based, as the kernel numbers partitions (vda1...)
}

// Layout is a partition table.
type Layout struct {
	DiskGUID   GUID
	DiskSize   int64
	Partitions []Partition
}

// Errors callers branch on.
var (
	ErrNoTable  = errors.New("disk: no valid GUID partition table")
	ErrNotFound = errors.New("disk: partition not found")
)

// Partition types. Slots and the boot-control area get types of their own
// so no general-purpose system tries to mount them.
var (
	TypeBootCtl = MustParseGUID("6d7a6263-0001-4d65-6866-6f6f7a000001")
	TypeSlot    = MustParseGUID("6d7a6263-0002-4d65-6866-6f6f7a000002")
	TypeLinux   = MustParseGUID("0fc63daf-8483-4772-8e79-3d69d8477de4") // Linux filesystem data
)

// Plan returns the handset layout for a disk of size bytes with slots of
// slotSize bytes: bootctl (1 MiB), slot_a, slot_b, then perm with the rest.
// GUIDs are left zero for Format to fill.
func Plan(size, slotSize int64) (Layout, error) {
	if slotSize <= 0 || slotSize%alignment != 0 {
		return Layout{}, fmt.Errorf("disk: slot size %d is not a positive multiple of 1 MiB", slotSize)
	}
	if size%SectorSize != 0 {
		return Layout{}, fmt.Errorf("disk: size %d is not a multiple of %d", size, SectorSize)
	}
	l := Layout{DiskSize: size}
	at := int64(alignment)
	for i, p := range []struct {
		name string
		typ  GUID
		size int64
	}{{BootCtl, TypeBootCtl, bootCtlSize}, {SlotA, TypeSlot, slotSize}, {SlotB, TypeSlot, slotSize}} {
		l.Partitions = append(l.Partitions, Partition{Name: p.name, Type: p.typ, Start: at, Size: p.size, Number: i + 1})
		at += p.size
	}
	// The backup table takes the last 33 sectors; keep the end aligned too.
	end := (size - (1+entrySectors)*SectorSize) &^ (alignment - 1)
	if end-at < minDataSize {
		return Layout{}, fmt.Errorf("disk: %d bytes is too small: two %d MiB slots and %d MiB of data need %d bytes",
			size, slotSize>>20, minDataSize>>20, at+minDataSize+alignment)
	}
	l.Partitions = append(l.Partitions, Partition{Name: Data, Type: TypeLinux, Start: at, Size: end - at, Number: 4})
	return l, nil
}

// Find returns the partition named name.
func (l Layout) Find(name string) (Partition, error) {
	for _, p := range l.Partitions {
		if p.Name == name {
			return p, nil
		}
	}
	return Partition{}, fmt.Errorf("%w: %q", ErrNotFound, name)
}
