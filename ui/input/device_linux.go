package input

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"mehfooz/ui/key"
)

// ioctls from <linux/input.h>.
const (
	eviocgrab = 0x40044590 // EVIOCGRAB: _IOW('E', 0x90, int)
)

// eviocgname is EVIOCGNAME(n): _IOC(_IOC_READ, 'E', 0x06, n).
func eviocgname(n int) uintptr { return 0x80000000 | uintptr(n)<<16 | 0x4506 }

// control runs an ioctl on f's descriptor without f.Fd, which would put
// the file back into blocking mode and so stop Run's read deadline from
// interrupting a read (and a phoned shutdown would hang on the keyboard).
func control(f *os.File, op func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var opErr error
	if err := rc.Control(func(fd uintptr) { opErr = op(int(fd)) }); err != nil {
		return err
	}
	return opErr
}

// Name returns the device's name, e.g. "QEMU Virtio Keyboard".
func Name(f *os.File) (string, error) {
	buf := make([]byte, 256)
	err := control(f, func(fd int) error {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), eviocgname(len(buf)), uintptr(unsafe.Pointer(&buf[0])))
		if errno != 0 {
			return errno
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("input: EVIOCGNAME on %s: %w", f.Name(), err)
	}
	return string(bytes.TrimRight(buf, "\x00")), nil
}

// Grab takes the device for this process alone (EVIOCGRAB), so key presses
// do not also reach the kernel console. The returned function releases it.
func Grab(f *os.File) (release func() error, err error) {
	grab := func(on int) error {
		return control(f, func(fd int) error { return unix.IoctlSetInt(fd, eviocgrab, on) })
	}
	if err := grab(1); err != nil {
		return nil, fmt.Errorf("input: EVIOCGRAB on %s: %w", f.Name(), err)
	}
	return func() error {
		if err := grab(0); err != nil {
			return fmt.Errorf("input: EVIOCGRAB release on %s: %w", f.Name(), err)
		}
		return nil
	}, nil
}

// Run reads events from f and sends the keys they press on out until ctx is
// cancelled (then it returns nil) or reading fails. f must support read
// deadlines, as an evdev node or a pipe opened by os does: cancelling ctx
// sets one to interrupt the blocked read. Run starts no goroutine that
// outlives it.
func Run(ctx context.Context, f *os.File, km Keymap, out chan<- key.Key, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := f.SetReadDeadline(time.Time{}); err != nil {
		return fmt.Errorf("input: %s cannot be interrupted: %w", f.Name(), err)
	}
	stop := context.AfterFunc(ctx, func() { f.SetReadDeadline(time.Now()) })
	defer stop()

	dec := NewDecoder(f)
	tr := NewTranslator(km)
	for {
		ev, err := dec.Next()
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, os.ErrDeadlineExceeded) {
				return nil
			}
			return fmt.Errorf("input: %s: %w", f.Name(), err)
		}
		if ev.Type == EvSyn && ev.Code == SynDropped {
			log.Warn("input: events dropped by the kernel", "device", f.Name())
		}
		k, ok := tr.Feed(ev)
		if !ok {
			continue
		}
		select {
		case out <- k:
		case <-ctx.Done():
			return nil
		}
	}
}
