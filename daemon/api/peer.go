package api

import (
	"errors"
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// ErrPeerRefused is returned by a peer check that refuses a connection.
var ErrPeerRefused = errors.New("peer refused")

// SameUser returns a peer check that admits only processes running as uid
// (SO_PEERCRED, unix(7)) on a unix socket. The socket's file mode already
// limits who can connect; this is the second lock, which holds even if the
// runtime directory's permissions are wrong.
func SameUser(uid int) func(net.Conn) error {
	return func(c net.Conn) error {
		uc, ok := c.(*net.UnixConn)
		if !ok {
			return fmt.Errorf("%w: not a unix socket", ErrPeerRefused)
		}
		raw, err := uc.SyscallConn()
		if err != nil {
			return fmt.Errorf("%w: %v", ErrPeerRefused, err)
		}
		var cred *unix.Ucred
		var credErr error
		if err := raw.Control(func(fd uintptr) {
			cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
		}); err != nil {
			return fmt.Errorf("%w: %v", ErrPeerRefused, err)
		}
		if credErr != nil {
			return fmt.Errorf("%w: SO_PEERCRED: %v", ErrPeerRefused, credErr)
		}
		if int(cred.Uid) != uid {
			return fmt.Errorf("%w: uid %d is not %d (pid %d)", ErrPeerRefused, cred.Uid, uid, cred.Pid)
		}
		return nil
	}
}
