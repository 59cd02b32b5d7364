package disk

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"unicode/utf16"
)

// GPT header fields (UEFI Specification 2.10, Table 5.5).
const (
	headerSize = 92
	revision   = 0x00010000
	nameUnits  = 36 // partition name: 36 UTF-16LE code units
)

var signature = []byte("EFI PART")

// Format writes l's partition table to w: a protective MBR, the primary
// header and entries, and their backup at the end of the disk. Zero GUIDs
// are drawn from rand. Partition contents are not touched.
func Format(w io.WriterAt, l Layout, rand io.Reader) (Layout, error) {
	var err error
	if l.DiskGUID == (GUID{}) {
		if l.DiskGUID, err = randomGUID(rand); err != nil {
			return l, fmt.Errorf("disk: GUID: %w", err)
		}
	}
	for i := range l.Partitions {
		if l.Partitions[i].GUID == (GUID{}) {
			if l.Partitions[i].GUID, err = randomGUID(rand); err != nil {
				return l, fmt.Errorf("disk: GUID: %w", err)
			}
		}
	}
	if err := l.check(); err != nil {
		return l, err
	}
	last := l.DiskSize/SectorSize - 1
	entries := make([]byte, entryArrayLen)
	for i, p := range l.Partitions {
		e := entries[i*entrySize:]
		copy(e[0:], p.Type[:])
		copy(e[16:], p.GUID[:])
		binary.LittleEndian.PutUint64(e[32:], uint64(p.Start/SectorSize))
		binary.LittleEndian.PutUint64(e[40:], uint64((p.Start+p.Size)/SectorSize-1))
		for j, u := range utf16.Encode([]rune(p.Name)) {
			binary.LittleEndian.PutUint16(e[56+2*j:], u)
		}
	}
	entriesCRC := crc32.ChecksumIEEE(entries)
	primary := header(l.DiskGUID, 1, uint64(last), 2, uint64(last), entriesCRC)
	backup := header(l.DiskGUID, uint64(last), 1, uint64(last-entrySectors), uint64(last), entriesCRC)
	for _, wr := range []struct {
		off  int64
		data []byte
	}{
		{0, protectiveMBR(last)},
		{SectorSize, primary},
		{2 * SectorSize, entries},
		{(last - entrySectors) * SectorSize, entries},
		{last * SectorSize, backup},
	} {
		if _, err := w.WriteAt(wr.data, wr.off); err != nil {
			return l, fmt.Errorf("disk: write table: %w", err)
		}
	}
	return l, nil
}

func header(disk GUID, my, alternate, entriesLBA, last uint64, entriesCRC uint32) []byte {
	h := make([]byte, SectorSize)
	copy(h, signature)
	binary.LittleEndian.PutUint32(h[8:], revision)
	binary.LittleEndian.PutUint32(h[12:], headerSize)
	binary.LittleEndian.PutUint64(h[24:], my)
	binary.LittleEndian.PutUint64(h[32:], alternate)
	binary.LittleEndian.PutUint64(h[40:], firstUsable)
	binary.LittleEndian.PutUint64(h[48:], last-entrySectors-1)
	copy(h[56:], disk[:])
	binary.LittleEndian.PutUint64(h[72:], entriesLBA)
	binary.LittleEndian.PutUint32(h[80:], entryCount)
	binary.LittleEndian.PutUint32(h[84:], entrySize)
	binary.LittleEndian.PutUint32(h[88:], entriesCRC)
	binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h[:headerSize]))
	return h
}

// protectiveMBR covers the disk with one partition of type 0xEE, so tools
// that know only MBR see the disk as in use (UEFI Specification §5.2.3).
func protectiveMBR(last int64) []byte {
	m := make([]byte, SectorSize)
	e := m[446:]
	e[1], e[2], e[3] = 0x00, 0x02, 0x00 // CHS of LBA 1
	e[4] = 0xee
	e[5], e[6], e[7] = 0xff, 0xff, 0xff
	binary.LittleEndian.PutUint32(e[8:], 1)
	binary.LittleEndian.PutUint32(e[12:], uint32(min(last, 0xffffffff)))
	m[510], m[511] = 0x55, 0xaa
	return m
}

// Read parses the partition table of a disk of size bytes. It uses the
// primary table and falls back to the backup when the primary is damaged.
func Read(r io.ReaderAt, size int64) (Layout, error) {
	if size < (2*firstUsable+1)*SectorSize || size%SectorSize != 0 {
		return Layout{}, fmt.Errorf("%w: disk of %d bytes", ErrNoTable, size)
	}
	last := size/SectorSize - 1
	l, perr := readTable(r, size, 1, last)
	if perr == nil {
		return l, nil
	}
	l, berr := readTable(r, size, last, last)
	if berr == nil {
		return l, nil
	}
	return Layout{}, fmt.Errorf("%w: primary: %v; backup: %v", ErrNoTable, perr, berr)
}

func readTable(r io.ReaderAt, size int64, lba, last int64) (Layout, error) {
	h := make([]byte, SectorSize)
	if _, err := r.ReadAt(h, lba*SectorSize); err != nil {
		return Layout{}, fmt.Errorf("read header: %w", err)
	}
	if !bytes.Equal(h[:8], signature) {
		return Layout{}, fmt.Errorf("no GPT signature at LBA %d", lba)
	}
	hs := binary.LittleEndian.Uint32(h[12:])
	if hs != headerSize {
		return Layout{}, fmt.Errorf("header size %d", hs)
	}
	crc := binary.LittleEndian.Uint32(h[16:])
	binary.LittleEndian.PutUint32(h[16:], 0)
	if crc32.ChecksumIEEE(h[:headerSize]) != crc {
		return Layout{}, fmt.Errorf("header CRC mismatch at LBA %d", lba)
	}
	if my := binary.LittleEndian.Uint64(h[24:]); my != uint64(lba) {
		return Layout{}, fmt.Errorf("header at LBA %d says it is at %d", lba, my)
	}
	first, lastUsable := binary.LittleEndian.Uint64(h[40:]), binary.LittleEndian.Uint64(h[48:])
	entriesLBA := binary.LittleEndian.Uint64(h[72:])
	n, esize := binary.LittleEndian.Uint32(h[80:]), binary.LittleEndian.Uint32(h[84:])
	if esize != entrySize || n == 0 || n > entryCount {
		return Layout{}, fmt.Errorf("%d entries of %d bytes", n, esize)
	}
	if first < firstUsable || lastUsable >= uint64(last) || first > lastUsable {
		return Layout{}, fmt.Errorf("usable range %d-%d", first, lastUsable)
	}
	arrayEnd := entriesLBA*SectorSize + uint64(n)*entrySize
	if entriesLBA < 2 || arrayEnd > uint64(size) ||
		(entriesLBA >= first && entriesLBA <= lastUsable) { // the array may not overlap partitions
		return Layout{}, fmt.Errorf("entry array at LBA %d", entriesLBA)
	}
	entries := make([]byte, int(n)*entrySize)
	if _, err := r.ReadAt(entries, int64(entriesLBA)*SectorSize); err != nil {
		return Layout{}, fmt.Errorf("read entries: %w", err)
	}
	if crc32.ChecksumIEEE(entries) != binary.LittleEndian.Uint32(h[88:]) {
		return Layout{}, fmt.Errorf("entry array CRC mismatch")
	}
	l := Layout{DiskSize: size}
	copy(l.DiskGUID[:], h[56:72])
	for i := range int(n) {
		e := entries[i*entrySize : (i+1)*entrySize]
		var p Partition
		copy(p.Type[:], e[0:16])
		if p.Type == (GUID{}) {
			continue
		}
		copy(p.GUID[:], e[16:32])
		start, end := binary.LittleEndian.Uint64(e[32:]), binary.LittleEndian.Uint64(e[40:])
		if start < first || end > lastUsable || end < start {
			return Layout{}, fmt.Errorf("partition %d spans LBA %d-%d outside %d-%d", i+1, start, end, first, lastUsable)
		}
		p.Start, p.Size, p.Number = int64(start)*SectorSize, int64(end-start+1)*SectorSize, i+1
		units := make([]uint16, 0, nameUnits)
		for j := range nameUnits {
			u := binary.LittleEndian.Uint16(e[56+2*j:])
			if u == 0 {
				break
			}
			units = append(units, u)
		}
		p.Name = string(utf16.Decode(units))
		l.Partitions = append(l.Partitions, p)
	}
	if err := l.check(); err != nil {
		return Layout{}, err
	}
	return l, nil
}

// check rejects overlapping partitions, names that are too long or
// repeated, and partitions outside the usable area.
func (l Layout) check() error {
	last := l.DiskSize/SectorSize - 1
	seen := map[string]bool{}
	for i, p := range l.Partitions {
		if len(utf16.Encode([]rune(p.Name))) > nameUnits || p.Name == "" {
			return fmt.Errorf("disk: partition name %q", p.Name)
		}
		if seen[p.Name] {
			return fmt.Errorf("disk: two partitions named %q", p.Name)
		}
		seen[p.Name] = true
		if p.Start%SectorSize != 0 || p.Size <= 0 || p.Size%SectorSize != 0 ||
			p.Start < firstUsable*SectorSize || (p.Start+p.Size)/SectorSize > last-entrySectors {
			return fmt.Errorf("disk: partition %s (%d+%d) outside the usable area", p.Name, p.Start, p.Size)
		}
		for _, q := range l.Partitions[:i] {
			if p.Start < q.Start+q.Size && q.Start < p.Start+p.Size {
				return fmt.Errorf("disk: partitions %s and %s overlap", q.Name, p.Name)
			}
		}
	}
	if len(l.Partitions) > entryCount {
		return fmt.Errorf("disk: %d partitions", len(l.Partitions))
	}
	return nil
}
