//go:build linux

package sim

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ptyPort is the master side of one pseudo-terminal, plus a descriptor of the
// slave side that the simulator keeps open for the life of the port.
//
// The master is opened non-blocking and wrapped by os.NewFile, which then
// registers it with the runtime poller: Close releases a goroutine blocked in
// Read and really closes the descriptor, so the kernel hangs up the slave.
// (A blocking master, as github.com/creack/pty hands out, stays open until
// the pending read returns, and the hang-up never reaches the serial side.)
//
// Holding the slave open keeps reads on the master from failing with EIO
// while no client has the tty open, and lets us put the line in raw mode
// before any byte is written: a fresh pty starts in canonical mode with echo
// on, and would echo the boot URCs straight back to us as input.
type ptyPort struct {
	master *os.File
	slave  int
	path   string
}

func openPTY() (*ptyPort, error) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/ptmx: %w", err)
	}
	// grantpt(3) is a no-op on Linux's devpts, which sets the slave's owner
	// and mode itself; unlockpt(3) is TIOCSPTLCK with 0.
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("pty number: %w", err)
	}
	path := fmt.Sprintf("/dev/pts/%d", n)
	slave, err := unix.Open(path, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := makeRaw(slave); err != nil {
		unix.Close(slave)
		unix.Close(fd)
		return nil, fmt.Errorf("raw mode on %s: %w", path, err)
	}
	return &ptyPort{master: os.NewFile(uintptr(fd), "/dev/ptmx"), slave: slave, path: path}, nil
}

// makeRaw is cfmakeraw(3): no echo, no line editing, no CR/NL mapping, 8 bits.
func makeRaw(fd int) error {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return err
	}
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	return unix.IoctlSetTermios(fd, unix.TCSETS, t)
}

// unread is how many bytes wait in the slave's input queue: written by the
// simulator, not yet read by the host.
func (p *ptyPort) unread() int {
	n, err := unix.IoctlGetInt(p.slave, unix.TIOCINQ)
	if err != nil {
		return 0
	}
	return n
}

func (p *ptyPort) Read(b []byte) (int, error)  { return p.master.Read(b) }
func (p *ptyPort) Write(b []byte) (int, error) { return p.master.Write(b) }

// Close hangs up the line: closing the master makes the kernel hang up the
// slave, so a client blocked in read(2) gets an error, as on a USB unplug.
func (p *ptyPort) Close() error {
	err := p.master.Close()
	if cerr := unix.Close(p.slave); err == nil {
		err = cerr
	}
	return err
}
