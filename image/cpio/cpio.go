// Package cpio writes and reads the "new" (SVR4, magic 070701) cpio format
// the Linux kernel unpacks as an initramfs
// (Documentation/driver-api/early-userspace/buffer-format.rst).
//
// The Writer is built for reproducible images: it takes every entry first,
// then writes them sorted by name with parent folders made explicit, owner
// 0:0, one fixed modification time and inode numbers counted from 1, so the
// same inputs give the same bytes on any machine. The Reader checks every
// header field, so it can be pointed at untrusted archives.
package cpio

import (
	"errors"
	"io/fs"
)

// magic is the newc header magic (no checksum variant).
const magic = "070701"

// headerLen is the fixed part of a newc header: the magic and 13 fields of
// 8 hex digits each.
const headerLen = 6 + 13*8

// trailer names the entry that ends an archive.
const trailer = "TRAILER!!!"

// Mode bits of the format (the st_mode values of <sys/stat.h>).
const (
	modeType    = 0o170000
	modeDir     = 0o040000
	modeFile    = 0o100000
	modeSymlink = 0o120000
	modeChar    = 0o020000
	modePerm    = 0o7777
)

// maxNameLen bounds entry names (PATH_MAX).
const maxNameLen = 4096

// Type is the kind of an entry.
type Type int

// Entry types the writer and reader support; the kernel's initramfs also
// knows block devices, FIFOs and sockets, which an image never needs.
const (
	File Type = iota + 1
	Dir
	Symlink
	CharDev
)

func (t Type) String() string {
	switch t {
	case File:
		return "file"
	case Dir:
		return "dir"
	case Symlink:
		return "symlink"
	case CharDev:
		return "chardev"
	}
	return "unknown"
}

// ErrFormat is wrapped by every error about malformed archive bytes.
var ErrFormat = errors.New("cpio: malformed archive")

// Header describes one entry.
type Header struct {
	Name         string // slash-separated, relative, cleaned: "init", "lib/modules"
	Type         Type
	Perm         fs.FileMode // permission bits only (0o755, 0o644, setuid... not used)
	Size         int64       // file length, or the symlink target's length
	Linkname     string      // symlink target
	Major, Minor uint32      // device number of a CharDev
	Mtime        int64       // seconds since the epoch
	Inode        uint32
}
