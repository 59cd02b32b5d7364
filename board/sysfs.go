package board

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// The functions here find device nodes through sysfs, which the kernel
// fills whatever order drivers probed in. They read sys, an fs.FS rooted at
// the system's "/" (os.DirFS("/") on a device; fstest.MapFS in tests), and
// return /dev paths for cmd/ to open.

// ErrNotFound is returned when a device the board names is absent.
var ErrNotFound = errors.New("board: device not found")

// InputPaths returns the /dev/input/eventN node of each of the board's
// input devices that is present, in the order of b.Inputs. A device missing
// from the system is skipped (a QEMU run without a PS/2 keyboard is fine);
// the error is ErrNotFound only when none is present.
func (b *Board) InputPaths(sys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(sys, "sys/class/input")
	if err != nil {
		return nil, fmt.Errorf("board: list input devices: %w", err)
	}
	byName := map[string][]string{}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "event") {
			continue
		}
		name, err := fs.ReadFile(sys, path.Join("sys/class/input", e.Name(), "device/name"))
		if err != nil {
			continue // the device went away between the listing and the read
		}
		n := strings.TrimSpace(string(name))
		byName[n] = append(byName[n], "/dev/input/"+e.Name())
	}
	var paths []string
	for _, in := range b.Inputs {
		paths = append(paths, byName[in.Name]...)
	}
	if len(paths) == 0 && len(b.Inputs) > 0 {
		return nil, fmt.Errorf("%w: no input device named %v", ErrNotFound, b.Inputs)
	}
	return paths, nil
}

// Partition returns the /dev node of the partition named partname (its GPT
// name) on the board's boot disk, e.g. "/dev/vda4".
func (b *Board) Partition(sys fs.FS, partname string) (string, error) {
	disk := b.Storage.Disk
	if disk == "" || partname == "" {
		return "", fmt.Errorf("%w: board %s has no boot disk", ErrNotFound, b.Name)
	}
	dir := path.Join("sys/block", disk)
	entries, err := fs.ReadDir(sys, dir)
	if err != nil {
		return "", fmt.Errorf("board: partitions of %s: %w", disk, err)
	}
	var found []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), disk) {
			continue
		}
		ev, err := readUevent(sys, path.Join(dir, e.Name(), "uevent"))
		if err != nil {
			continue
		}
		if ev["PARTNAME"] == partname && ev["DEVNAME"] != "" {
			found = append(found, "/dev/"+ev["DEVNAME"])
		}
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%w: no partition %q on %s", ErrNotFound, partname, disk)
	case 1:
		return found[0], nil
	default:
		// Two partitions of one name: refuse rather than guess which holds our data.
		return "", fmt.Errorf("board: partition name %q is ambiguous on %s: %v", partname, disk, found)
	}
}

func readUevent(sys fs.FS, name string) (map[string]string, error) {
	b, err := fs.ReadFile(sys, name)
	if err != nil {
		return nil, err
	}
	kv := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok {
			kv[k] = v
		}
	}
	return kv, nil
}
