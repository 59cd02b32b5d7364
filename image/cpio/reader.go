package cpio

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
)

// Reader reads a newc archive entry by entry, like archive/tar.Reader.
type Reader struct {
	r      io.Reader
	off    int64 // bytes consumed, for alignment and error messages
	remain int64 // unread data bytes of the current entry
	pad    int64 // padding after the current entry's data
	done   bool
}

// NewReader reads an archive from r.
func NewReader(r io.Reader) *Reader { return &Reader{r: r} }

// Next skips what is left of the current entry and returns the next
// header. It returns io.EOF after the trailer, and an error wrapping
// ErrFormat for anything malformed, including an archive that ends early.
func (r *Reader) Next() (*Header, error) {
	if r.done {
		return nil, io.EOF
	}
	if err := r.skip(r.remain + r.pad); err != nil {
		return nil, err
	}
	r.remain, r.pad = 0, 0
	at := r.off
	var raw [headerLen]byte
	if err := r.full(raw[:]); err != nil {
		return nil, err
	}
	if string(raw[:6]) != magic {
		return nil, fmt.Errorf("%w: bad magic %q at offset %d", ErrFormat, raw[:6], at)
	}
	var f [13]uint32
	for i := range f {
		v, err := strconv.ParseUint(string(raw[6+8*i:14+8*i]), 16, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: header field %d at offset %d is not hex", ErrFormat, i, at)
		}
		f[i] = uint32(v)
	}
	ino, mode, mtime, size, rmaj, rmin, namesize := f[0], f[1], f[5], f[6], f[9], f[10], f[11]
	if namesize < 2 || namesize > maxNameLen {
		return nil, fmt.Errorf("%w: name size %d at offset %d", ErrFormat, namesize, at)
	}
	nameb := make([]byte, namesize)
	if err := r.full(nameb); err != nil {
		return nil, err
	}
	if err := r.align(); err != nil {
		return nil, err
	}
	if nameb[namesize-1] != 0 {
		return nil, fmt.Errorf("%w: name at offset %d not NUL-terminated", ErrFormat, at)
	}
	name := string(nameb[:namesize-1])
	if name == trailer {
		r.done = true
		if size != 0 {
			return nil, fmt.Errorf("%w: trailer with data", ErrFormat)
		}
		return nil, io.EOF
	}
	if clean, err := cleanName(name); err != nil || clean != name {
		return nil, fmt.Errorf("%w: entry name %q at offset %d", ErrFormat, name, at)
	}
	h := &Header{Name: name, Perm: fs.FileMode(mode & 0o777), Size: int64(size), Mtime: int64(mtime), Inode: ino}
	if mode&modePerm&^0o777 != 0 {
		return nil, fmt.Errorf("%w: %s has setuid, setgid or sticky bits (mode %o)", ErrFormat, name, mode)
	}
	switch mode & modeType {
	case modeFile:
		h.Type = File
	case modeDir:
		h.Type = Dir
	case modeSymlink:
		h.Type = Symlink
	case modeChar:
		h.Type = CharDev
		h.Major, h.Minor = rmaj, rmin
	default:
		return nil, fmt.Errorf("%w: %s has unsupported mode %o", ErrFormat, name, mode)
	}
	if (h.Type == Dir || h.Type == CharDev) && size != 0 {
		return nil, fmt.Errorf("%w: %s is a %v with %d bytes of data", ErrFormat, name, h.Type, size)
	}
	r.remain = int64(size)
	r.pad = (4 - (r.off+int64(size))%4) % 4
	if h.Type == Symlink {
		if size == 0 || size > maxNameLen {
			return nil, fmt.Errorf("%w: symlink %s with a target of %d bytes", ErrFormat, name, size)
		}
		target := make([]byte, size)
		if _, err := io.ReadFull(r, target); err != nil {
			return nil, err
		}
		h.Linkname = string(target)
	}
	return h, nil
}

// Read reads the current entry's data.
func (r *Reader) Read(p []byte) (int, error) {
	if r.remain == 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.remain {
		p = p[:r.remain]
	}
	n, err := r.r.Read(p)
	r.off += int64(n)
	r.remain -= int64(n)
	if err == io.EOF {
		if r.remain > 0 {
			return n, fmt.Errorf("%w: data ends early: %w", ErrFormat, io.ErrUnexpectedEOF)
		}
		err = nil
	}
	return n, err
}

func (r *Reader) full(b []byte) error {
	n, err := io.ReadFull(r.r, b)
	r.off += int64(n)
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: archive ends at offset %d without a trailer: %w", ErrFormat, r.off, io.ErrUnexpectedEOF)
	}
	return err
}

func (r *Reader) align() error {
	if p := (4 - r.off%4) % 4; p > 0 {
		return r.skip(p)
	}
	return nil
}

func (r *Reader) skip(n int64) error {
	if n == 0 {
		return nil
	}
	m, err := io.CopyN(io.Discard, r.r, n)
	r.off += m
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: archive ends at offset %d without a trailer: %w", ErrFormat, r.off, io.ErrUnexpectedEOF)
		}
		return err
	}
	return nil
}
