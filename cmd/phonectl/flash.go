package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"mehfooz/board"
	"mehfooz/daemon"
	"mehfooz/image"
	"mehfooz/image/disk"
	"mehfooz/image/flash"
	"mehfooz/image/slot"
	"mehfooz/trust"
)

func init() {
	register(command{path: []string{"flash"}, summary: "write a signed image to a handset's storage (block device or disk-image file)", run: runFlash})
}

func runFlash(_ context.Context, e *env, args []string) error {
	fs := flags(e, "flash", "--board B --pub KEYS.pem --image IMAGE --target DEVICE|FILE [--format [--size 512M] [--device-id ID]]")
	boardName := fs.String("board", "", "the handset's board (required)")
	pubFile := fs.String("pub", "", "public keys an image must be signed by, PEM (required)")
	imgFile := fs.String("image", "", "the signed image from phonectl image build (required)")
	targetPath := fs.String("target", "", "block device or disk-image file to write (required)")
	format := fs.Bool("format", false, "the target is blank: write a partition layout first (erases it)")
	size := fs.String("size", "", "with --format on a new disk-image file: its size, e.g. 512M")
	slotSize := fs.String("slot-size", "64M", "with --format: size of each image slot")
	deviceID := fs.String("device-id", "", "with --format: the handset's device ID, written to its data partition (for a fleet image, whose provisioning names no handset)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	for name, v := range map[string]string{"--board": *boardName, "--pub": *pubFile, "--image": *imgFile, "--target": *targetPath} {
		if v == "" {
			return fmt.Errorf("%w: %s is required", errUsage, name)
		}
	}
	if _, err := board.Lookup(*boardName); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *deviceID != "" && !*format {
		// Writing into a data partition that holds a keystore could
		// rename an enrolled handset; a new identity means a fresh start.
		return fmt.Errorf("%w: --device-id is written when the data partition is made: it needs --format", errUsage)
	}
	if *deviceID != "" && !trust.DeviceID(*deviceID).Valid() {
		return fmt.Errorf("%w: --device-id %q: %v", errUsage, *deviceID, trust.ErrBadDeviceID)
	}
	keys, err := readPublicKeys(*pubFile)
	if err != nil {
		return err
	}
	ss, err := parseSize(*slotSize)
	if err != nil {
		return fmt.Errorf("%w: --slot-size: %v", errUsage, err)
	}
	img, err := os.Open(*imgFile)
	if err != nil {
		return err
	}
	defer img.Close()
	fi, err := img.Stat()
	if err != nil {
		return err
	}
	tgt, err := openTarget(*targetPath, *format, *size)
	if err != nil {
		return err
	}
	defer tgt.f.Close()

	bar := progressBar(e.stderr, "flash")
	res, err := flash.Flash(img, fi.Size(), tgt.target(), flash.Options{
		Keys: keys, Board: *boardName, Format: *format, SlotSize: ss, Rand: rand.Reader, Progress: bar,
	})
	if err != nil {
		return explainImageError(err)
	}
	if res.Formatted {
		perm, _ := res.Layout.Find(disk.Data)
		if err := mkfsData(e, *targetPath, perm, trust.DeviceID(*deviceID)); err != nil {
			return err
		}
	}
	if err := tgt.f.Sync(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "flashed %s to slot %s of %s: board %s, version %d; it boots next (%d tries to prove itself)\n",
		*imgFile, slot.Name(res.Slot), *targetPath, res.Manifest.Board, res.Manifest.Version, slot.DefaultTries)
	return nil
}

func readPublicKeys(file string) ([]ed25519.PublicKey, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return image.ParsePublicKeys(b)
}

// explainImageError turns the refusals a technician meets into a sentence
// saying what to do, keeping the wrapped error for errors.Is.
func explainImageError(err error) error {
	hint := ""
	switch {
	case errors.Is(err, image.ErrUnsigned):
		hint = "the image carries no signature; build it with phonectl image build --key"
	case errors.Is(err, image.ErrBadSignature):
		hint = "the image is not signed by a key in --pub"
	case errors.Is(err, image.ErrTampered):
		hint = "the image was altered or damaged after signing; rebuild or re-copy it"
	case errors.Is(err, image.ErrWrongBoard):
		hint = "the image and the target are different boards"
	case errors.Is(err, image.ErrOlder):
		hint = "the device has run a newer image; an older one would undo security fixes"
	default:
		return err
	}
	return fmt.Errorf("%w\n  (%s)", err, hint)
}

type openedTarget struct {
	f    *os.File
	size int64
}

// openTarget opens a block device or a disk-image file; with --format and
// --size a missing file is created.
func openTarget(path string, format bool, size string) (*openedTarget, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) && format && size != "" {
		n, perr := parseSize(size)
		if perr != nil {
			return nil, fmt.Errorf("%w: --size: %v", errUsage, perr)
		}
		if f, err = os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644); err != nil {
			return nil, err
		}
		if err := f.Truncate(n); err != nil {
			f.Close()
			return nil, err
		}
	} else if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist (to create a disk-image file: --format --size 512M)", path)
		}
		return nil, err
	} else if size != "" {
		f.Close()
		return nil, fmt.Errorf("%w: --size is only for creating a new disk-image file; %s exists", errUsage, path)
	}
	n, err := f.Seek(0, io.SeekEnd) // works for block devices, whose Stat size is 0
	if err != nil {
		f.Close()
		return nil, err
	}
	return &openedTarget{f: f, size: n}, nil
}

func (t *openedTarget) target() flash.Target {
	return flash.Target{
		Dev: t.f, Size: t.size, Sync: t.f.Sync,
		DropCache: func() error { return unix.Fadvise(int(t.f.Fd()), 0, 0, unix.FADV_DONTNEED) },
	}
}

// mkfsData makes the data partition's ext4 file system in place (at its
// offset, so it works on a disk-image file and a whole block device alike),
// holding the handset's device ID file when id is not empty.
func mkfsData(e *env, path string, p disk.Partition, id trust.DeviceID) error {
	mkfs, err := exec.LookPath("mkfs.ext4")
	if err != nil {
		return fmt.Errorf("the data partition needs an ext4 file system and mkfs.ext4 is missing (apt-get install e2fsprogs): %w", err)
	}
	args := []string{"-q", "-F", "-L", disk.Data, "-E", "offset=" + strconv.FormatInt(p.Start, 10) + ",root_owner=0:0"}
	if id != "" {
		// mkfs.ext4 -d copies a folder into the new file system: nothing
		// mounts it, so this needs no root.
		dir, err := os.MkdirTemp("", "perm")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		if err := os.WriteFile(filepath.Join(dir, daemon.DeviceIDFile), []byte(id+"\n"), 0o600); err != nil {
			return err
		}
		args = append(args, "-d", dir)
	}
	cmd := exec.Command(mkfs, append(args, path, strconv.FormatInt(p.Size>>10, 10)+"k")...)
	cmd.Stdout, cmd.Stderr = e.stderr, e.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("mkfs.ext4 on the data partition: %w", err)
	}
	return nil
}

// parseSize reads 512M, 1G, 4096 (bytes).
func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult = 1 << 10
	case strings.HasSuffix(s, "M"):
		mult = 1 << 20
	case strings.HasSuffix(s, "G"):
		mult = 1 << 30
	}
	n, err := strconv.ParseInt(strings.TrimRight(s, "KMG"), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad size %q (want e.g. 512M)", s)
	}
	return n * mult, nil
}

// progressBar draws "flash [=====>    ]  45%  4.5/10.0 MiB" on w, redrawn
// in place, ending with a newline at 100%.
func progressBar(w io.Writer, what string) func(done, total int64) {
	last := -1
	return func(done, total int64) {
		pct := int(done * 100 / max(total, 1))
		if pct == last {
			return
		}
		last = pct
		const width = 30
		fill := pct * width / 100
		bar := strings.Repeat("=", fill)
		if fill < width {
			bar += ">" + strings.Repeat(" ", width-fill-1)
		}
		fmt.Fprintf(w, "\r%s [%s] %3d%% %5.1f/%.1f MiB", what, bar, pct, float64(done)/(1<<20), float64(total)/(1<<20))
		if done >= total {
			fmt.Fprintln(w)
		}
	}
}
