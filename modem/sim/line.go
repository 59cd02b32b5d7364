package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// A Line hands the modem one port at a time, the way a USB bus enumerates
// a modem's tty: the modem serves a port until it closes (the host went,
// or the modem was unplugged), then asks the line for the next.
type Line interface {
	// Next blocks until a port is ready and returns it with its path.
	Next(ctx context.Context) (port io.ReadWriteCloser, path string, err error)
	// Close releases what the line holds.
	Close() error
}

// PTY is a Line of pseudo-terminals. Each Next opens a fresh one and, when
// a link path was given, points that symlink at its slave, so a host that
// reopens the link after a hang-up finds the new port, as udev's stable
// names do for a re-enumerated USB modem.
type PTY struct {
	link string

	mu    sync.Mutex
	first *ptyPort // opened by NewPTY, handed out by the first Next
	path  string
}

// NewPTY opens the first pseudo-terminal at once, so Path is known before
// the modem starts. link may be empty.
func NewPTY(link string) (*PTY, error) {
	p := &PTY{link: link}
	port, err := p.open()
	if err != nil {
		return nil, err
	}
	p.first = port
	return p, nil
}

// Path is the slave path of the newest pseudo-terminal.
func (p *PTY) Path() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.path
}

// Link is the stable symlink, or "".
func (p *PTY) Link() string { return p.link }

func (p *PTY) open() (*ptyPort, error) {
	port, err := openPTY()
	if err != nil {
		return nil, err
	}
	if p.link != "" {
		if err := relink(port.path, p.link); err != nil {
			port.Close()
			return nil, err
		}
	}
	p.mu.Lock()
	p.path = port.path
	p.mu.Unlock()
	return port, nil
}

// relink points link at target atomically: a new symlink beside it, then
// rename(2) over the old one.
func relink(target, link string) error {
	tmp := filepath.Join(filepath.Dir(link), fmt.Sprintf(".%s.%d.tmp", filepath.Base(link), os.Getpid()))
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("link %s: %w", link, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("link %s: %w", link, err)
	}
	return nil
}

// Next returns the first pseudo-terminal, then a fresh one at each call.
func (p *PTY) Next(ctx context.Context) (io.ReadWriteCloser, string, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	p.mu.Lock()
	first := p.first
	p.first = nil
	p.mu.Unlock()
	if first != nil {
		return &linkedPort{ptyPort: first, link: p.link}, first.path, nil
	}
	port, err := p.open()
	if err != nil {
		return nil, "", err
	}
	return &linkedPort{ptyPort: port, link: p.link}, port.path, nil
}

// Close releases a pseudo-terminal never handed out and removes the link.
func (p *PTY) Close() error {
	p.mu.Lock()
	first := p.first
	p.first = nil
	p.mu.Unlock()
	if first != nil {
		first.Close()
		removeLink(p.link, first.path)
	}
	return nil
}

// linkedPort removes the stable link when the port hangs up, so a host
// sees the device vanish until the next one appears.
type linkedPort struct {
	*ptyPort
	link string
}

func (l *linkedPort) Close() error {
	err := l.ptyPort.Close()
	removeLink(l.link, l.path)
	return err
}

// removeLink removes link if it still points at target.
func removeLink(link, target string) {
	if link == "" {
		return
	}
	if t, err := os.Readlink(link); err == nil && t == target {
		os.Remove(link)
	}
}

// Socket is a Line that listens on a unix socket and serves one connection
// at a time, for QEMU's "-chardev socket,path=…" (QEMU connects as the
// client). Unplugging closes the connection.
type Socket struct {
	ln   *net.UnixListener
	path string
}

// ListenSocket listens on path. A stale socket file left by a previous run
// is replaced; any other file there is an error.
func ListenSocket(path string) (*Socket, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != os.ModeSocket {
			return nil, fmt.Errorf("listen %s: exists and is not a socket", path)
		}
		os.Remove(path)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", path, err)
	}
	return &Socket{ln: ln, path: path}, nil
}

// Next waits for the next connection.
func (s *Socket) Next(ctx context.Context) (io.ReadWriteCloser, string, error) {
	stop := context.AfterFunc(ctx, func() { s.ln.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	conn, err := s.ln.Accept()
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		return nil, "", fmt.Errorf("accept on %s: %w", s.path, err)
	}
	return conn, s.path, nil
}

// Close stops listening and removes the socket file.
func (s *Socket) Close() error {
	err := s.ln.Close()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// Pipe is a Line over in-memory pipes (net.Pipe), for tests that want the
// simulator without a pty: each Next makes a pipe and hands its host end to
// the next call of Host.
type Pipe struct {
	hosts chan net.Conn
}

// NewPipe returns an in-memory line.
func NewPipe() *Pipe { return &Pipe{hosts: make(chan net.Conn, 1)} }

// Next makes a pipe and waits until there is room to hand its host end over.
func (p *Pipe) Next(ctx context.Context) (io.ReadWriteCloser, string, error) {
	modem, host := net.Pipe()
	select {
	case p.hosts <- host:
		return modem, "pipe", nil
	case <-ctx.Done():
		modem.Close()
		host.Close()
		return nil, "", ctx.Err()
	}
}

// Host returns the host end of the next pipe the modem serves.
func (p *Pipe) Host(ctx context.Context) (net.Conn, error) {
	select {
	case h := <-p.hosts:
		return h, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close releases a host end nobody took.
func (p *Pipe) Close() error {
	select {
	case h := <-p.hosts:
		h.Close()
	default:
	}
	return nil
}
