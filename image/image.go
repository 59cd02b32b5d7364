// Package image is the handset's signed boot image: a kernel, an initramfs
// holding phoned as /init, and the kernel command line, bound together by a
// manifest signed with Ed25519. It builds images reproducibly, verifies
// them (signature first, then every part's SHA-256), and defines the file
// layout that is flashed into an A/B slot (image/slot, image/disk).
//
// Ed25519 rather than ECDSA P-384: its signatures are deterministic, so a
// signing workstation with a weak random source cannot leak the key through
// a nonce, and the same inputs give the same signed bytes, which keeps
// images reproducible; verification is simple, fast and in the standard
// library. P-384 would buy CNSA-suite and HSM compatibility, which the
// handset's own verification does not need. Neither is post-quantum; the
// format allows several signatures, so an ML-DSA one can be added later.
package image

import "errors"

// Part names. Every image carries all three.
const (
	PartKernel    = "kernel"
	PartInitramfs = "initramfs"
	PartCmdline   = "cmdline"
)

// Paths inside the initramfs that phoned reads.
const (
	PathInit        = "init"
	PathCA          = "etc/mehfooz/ca.pem"         // the enrollment CA certificate
	PathProvision   = "etc/mehfooz/provision.json" // the provisioning config
	PathImageKeys   = "etc/mehfooz/image-keys.pem" // keys that may sign the next image
	PathModulesRoot = "lib/modules"                // lib/modules/<kernel release>/...
	PathRelease     = "etc/mehfooz/release.json"   // board, version and label of this image
)

// Errors callers branch on. Each is wrapped with detail.
var (
	ErrFormat       = errors.New("image: malformed image")
	ErrUnsigned     = errors.New("image: image is not signed")
	ErrBadSignature = errors.New("image: no valid signature from a trusted key")
	ErrTampered     = errors.New("image: part does not match its signed hash")
	ErrWrongBoard   = errors.New("image: image is for another board")
	ErrOlder        = errors.New("image: image is older than the device allows")
)
