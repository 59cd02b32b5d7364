package fb

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Console ioctls from <linux/kd.h>.
const (
	kdSetMode  = 0x4B3A // KDSETMODE
	kdGetMode  = 0x4B3B // KDGETMODE
	kdText     = 0x00   // KD_TEXT
	kdGraphics = 0x01   // KD_GRAPHICS
)

// Graphics puts the virtual terminal tty (an open /dev/ttyN or /dev/tty0)
// into graphics mode, so the kernel's text console stops drawing its cursor
// and messages over the framebuffer. The returned function restores the
// previous mode.
func Graphics(tty *os.File) (restore func() error, err error) {
	fd := int(tty.Fd())
	prev, err := unix.IoctlGetInt(fd, kdGetMode)
	if err != nil {
		return nil, fmt.Errorf("fb: KDGETMODE on %s: %w", tty.Name(), err)
	}
	if err := unix.IoctlSetInt(fd, kdSetMode, kdGraphics); err != nil {
		return nil, fmt.Errorf("fb: KDSETMODE graphics on %s: %w", tty.Name(), err)
	}
	return func() error {
		if err := unix.IoctlSetInt(fd, kdSetMode, prev); err != nil {
			return fmt.Errorf("fb: KDSETMODE %d on %s: %w", prev, tty.Name(), err)
		}
		return nil
	}, nil
}
