package cpio

import (
	"fmt"
	"io"
	"io/fs"
	"math"
	"path"
	"slices"
	"strings"
)

// Writer collects entries and writes them as one reproducible archive.
// Entries are held in memory: an initramfs is a few megabytes.
type Writer struct {
	entries map[string]*entry
	mtime   int64
}

type entry struct {
	hdr  Header
	data []byte
}

// NewWriter returns a Writer whose entries all carry mtime (seconds since the
// epoch; 0 is the usual choice, or SOURCE_DATE_EPOCH).
func NewWriter(mtime int64) *Writer {
	return &Writer{entries: map[string]*entry{}, mtime: mtime}
}

// AddFile adds a regular file with the given permission bits.
func (w *Writer) AddFile(name string, perm fs.FileMode, data []byte) error {
	return w.add(Header{Name: name, Type: File, Perm: perm, Size: int64(len(data))}, data)
}

// AddDir adds a folder. Parents of every entry are added with 0o755 unless
// added explicitly.
func (w *Writer) AddDir(name string, perm fs.FileMode) error {
	return w.add(Header{Name: name, Type: Dir, Perm: perm}, nil)
}

// AddSymlink adds a symbolic link to target.
func (w *Writer) AddSymlink(name, target string) error {
	if target == "" {
		return fmt.Errorf("cpio: symlink %s: empty target", name)
	}
	return w.add(Header{Name: name, Type: Symlink, Perm: 0o777, Size: int64(len(target)), Linkname: target}, []byte(target))
}

// AddCharDev adds a character device node, e.g. dev/console 5:1, which the
// kernel opens as init's stdio before any devtmpfs is mounted.
func (w *Writer) AddCharDev(name string, perm fs.FileMode, major, minor uint32) error {
	return w.add(Header{Name: name, Type: CharDev, Perm: perm, Major: major, Minor: minor}, nil)
}

func (w *Writer) add(h Header, data []byte) error {
	name, err := cleanName(h.Name)
	if err != nil {
		return err
	}
	if int64(len(data)) > math.MaxUint32 {
		return fmt.Errorf("cpio: %s: %d bytes do not fit the format's 32-bit size", name, len(data))
	}
	if h.Perm&^fs.ModePerm != 0 {
		return fmt.Errorf("cpio: %s: mode %v has bits beyond the permissions", name, h.Perm)
	}
	if old, ok := w.entries[name]; ok && !(old.hdr.Type == Dir && h.Type == Dir) {
		return fmt.Errorf("cpio: %s added twice", name)
	}
	for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
		if p, ok := w.entries[dir]; ok {
			if p.hdr.Type != Dir {
				return fmt.Errorf("cpio: %s: parent %s is a %v", name, dir, p.hdr.Type)
			}
			continue
		}
		w.entries[dir] = &entry{hdr: Header{Name: dir, Type: Dir, Perm: 0o755}}
	}
	if h.Type != Dir {
		for other := range w.entries {
			if strings.HasPrefix(other, name+"/") {
				return fmt.Errorf("cpio: %s: a folder of that name holds %s", name, other)
			}
		}
	}
	h.Name = name
	w.entries[name] = &entry{hdr: h, data: data}
	return nil
}

// cleanName accepts relative slash paths without "." or ".." elements,
// so an archive can never place a file outside its root.
func cleanName(name string) (string, error) {
	n := strings.TrimPrefix(name, "/")
	if n == "" || n == "." || path.Clean(n) != n || n == ".." || strings.HasPrefix(n, "../") || n == trailer {
		return "", fmt.Errorf("cpio: bad entry name %q", name)
	}
	if len(n) >= maxNameLen {
		return "", fmt.Errorf("cpio: entry name of %d bytes", len(n))
	}
	return n, nil
}

// WriteTo writes every entry sorted by name, then the trailer. Names sort
// bytewise, so a folder always precedes what it holds.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	if w.mtime < 0 || w.mtime > math.MaxUint32 {
		return 0, fmt.Errorf("cpio: mtime %d does not fit the format's 32 bits", w.mtime)
	}
	names := make([]string, 0, len(w.entries))
	for n := range w.entries {
		names = append(names, n)
	}
	slices.Sort(names)
	cw := &countWriter{w: out}
	for i, n := range names {
		e := w.entries[n]
		h := e.hdr
		h.Mtime = w.mtime
		h.Inode = uint32(i + 1)
		if err := writeEntry(cw, &h, e.data); err != nil {
			return cw.n, err
		}
	}
	if err := writeEntry(cw, &Header{Name: trailer}, nil); err != nil {
		return cw.n, err
	}
	return cw.n, nil
}

func writeEntry(w *countWriter, h *Header, data []byte) error {
	var mode uint32
	nlink := uint32(1)
	switch h.Type {
	case File:
		mode = modeFile
	case Dir:
		mode, nlink = modeDir, 2
	case Symlink:
		mode = modeSymlink
	case CharDev:
		mode = modeChar
	case 0: // the trailer
		nlink = 1
	}
	mode |= uint32(h.Perm & fs.ModePerm)
	name := h.Name + "\x00"
	hdr := fmt.Sprintf("%s%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		magic, h.Inode, mode, 0, 0, nlink, uint32(h.Mtime), uint32(len(data)),
		0, 0, h.Major, h.Minor, len(name), 0)
	if _, err := io.WriteString(w, hdr+name); err != nil {
		return err
	}
	if err := w.pad(); err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	return w.pad()
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

var zeros [4]byte

// pad aligns the stream to 4 bytes, as the format requires after the name
// and after the data.
func (c *countWriter) pad() error {
	if r := c.n % 4; r != 0 {
		_, err := c.Write(zeros[:4-r])
		return err
	}
	return nil
}
