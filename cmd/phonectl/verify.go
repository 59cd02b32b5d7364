package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"

	"mehfooz/board"
	"mehfooz/image"
	"mehfooz/image/flash"
	"mehfooz/image/slot"
)

func init() {
	register(command{path: []string{"verify"}, summary: "check a signed image, or what a handset's storage holds, without writing", run: runVerify})
}

func runVerify(_ context.Context, e *env, args []string) error {
	fs := flags(e, "verify", "--pub KEYS.pem [--board B] IMAGE|DEVICE|DISK-FILE")
	pubFile := fs.String("pub", "", "public keys an image must be signed by, PEM (required)")
	boardName := fs.String("board", "", "the board the image or device must be for (required for a device)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: want one image, device or disk-image file", errUsage)
	}
	if *pubFile == "" {
		return fmt.Errorf("%w: --pub is required", errUsage)
	}
	if *boardName != "" {
		if _, err := board.Lookup(*boardName); err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
	}
	keys, err := readPublicKeys(*pubFile)
	if err != nil {
		return err
	}
	path := fs.Arg(0)
	f, err := os.Open(path) // read-only: verify never writes
	if err != nil {
		return err
	}
	defer f.Close()
	size, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	magic := make([]byte, 8)
	f.ReadAt(magic, 0)
	if bytes.Equal(magic, []byte("MZIMAGE\x00")) {
		m, err := image.Verify(f, size, keys)
		if err != nil {
			return explainImageError(err)
		}
		if *boardName != "" && m.Board != *boardName {
			return explainImageError(fmt.Errorf("%w: image for %s, not %s", image.ErrWrongBoard, m.Board, *boardName))
		}
		printManifest(e.stdout, path, m)
		fmt.Fprintln(e.stdout, "OK: signature and every part verified")
		return nil
	}
	if *boardName == "" {
		return fmt.Errorf("%w: %s is not an image; to check a device give --board", errUsage, path)
	}
	r, err := flash.Inspect(flash.Target{Dev: readOnly{f}, Size: size}, keys, *boardName)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: board %s, anti-rollback floor %d, boot state generation %d\n", path, *boardName, r.State.Floor, r.State.Generation)
	bad := 0
	for i, sr := range r.Slots {
		st := r.State.Slots[i]
		fmt.Fprintf(e.stdout, "  slot %s: priority %d, tries %d, successful %v, bootable %v: ", slot.Name(i), st.Priority, st.Tries, st.Successful, sr.Bootable)
		switch {
		case sr.Err != nil:
			fmt.Fprintf(e.stdout, "%v\n", sr.Err)
			if sr.Bootable {
				bad++
			}
		default:
			fmt.Fprintf(e.stdout, "version %d %q verified\n", sr.Manifest.Version, sr.Manifest.Label)
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d bootable slot(s) do not verify", bad)
	}
	if !r.Slots[0].Bootable && !r.Slots[1].Bootable {
		return fmt.Errorf("no bootable slot")
	}
	fmt.Fprintln(e.stdout, "OK: every bootable slot verified")
	return nil
}

// readOnly refuses writes, so Inspect provably cannot change the device.
type readOnly struct{ f *os.File }

func (r readOnly) ReadAt(p []byte, off int64) (int, error) { return r.f.ReadAt(p, off) }
func (r readOnly) WriteAt([]byte, int64) (int, error) {
	return 0, fmt.Errorf("verify: write refused: verify never writes")
}
