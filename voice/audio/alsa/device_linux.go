package alsa

import (
	"errors"
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fileDevice issues ioctls on an open device node. The file stays in Go's
// poller, so a transfer that would block waits in the poller (ALSA devices
// signal readiness by poll) and Close can interrupt it.
type fileDevice struct {
	f  *os.File
	rc syscall.RawConn
}

func newFileDevice(f *os.File) (Device, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	return &fileDevice{f: f, rc: rc}, nil
}

func ioctl(fd, req uintptr, arg unsafe.Pointer) error {
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, fd, req, uintptr(arg)); e != 0 {
		return e
	}
	return nil
}

func (d *fileDevice) Ioctl(req uintptr, arg unsafe.Pointer) error {
	var err error
	if cerr := d.rc.Control(func(fd uintptr) { err = ioctl(fd, req, arg) }); cerr != nil {
		return cerr
	}
	return err
}

func (d *fileDevice) Transfer(req uintptr, arg unsafe.Pointer) error {
	var err error
	try := func(fd uintptr) bool {
		err = ioctl(fd, req, arg)
		return !errors.Is(err, syscall.EAGAIN)
	}
	var cerr error
	if req == ioctlReadI {
		cerr = d.rc.Read(try)
	} else {
		// Writes, and drain: on a non-blocking fd it returns EAGAIN until
		// the queue has played, so it too waits for writability.
		cerr = d.rc.Write(try)
	}
	if cerr != nil {
		return cerr
	}
	return err
}

func (d *fileDevice) Close() error { return d.f.Close() }

func runtimeKeepAlive(x any) { runtime.KeepAlive(x) }

// errSuspended is ESTRPIPE: the stream was suspended by a system sleep.
const errSuspended = syscall.ESTRPIPE
