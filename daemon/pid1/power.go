package pid1

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"
)

// Action is how the system ends.
type Action int

// Actions. Exit is for a plain process (board sim): phoned just returns.
const (
	Poweroff Action = iota + 1
	Reboot
	Exit
)

func (a Action) String() string {
	switch a {
	case Poweroff:
		return "poweroff"
	case Reboot:
		return "reboot"
	case Exit:
		return "exit"
	}
	return fmt.Sprintf("action(%d)", int(a))
}

// killGrace is how long processes have after SIGTERM at shutdown.
const killGrace = 2 * time.Second

// Shutdown ends the system: every other process gets SIGTERM then SIGKILL,
// the file systems are synced, the data partition is unmounted (or made
// read-only when something still holds it), and the kernel powers off or
// reboots. In process 1 it does not return unless reboot(2) fails, and the
// caller must then not exit (that panics the kernel): it should log and
// retry. For a plain process it does nothing and returns nil.
//
// The caller stops its own subsystems first (cancel the root context and
// wait), so their files are closed before the data partition goes.
func (s *System) Shutdown(a Action) error {
	if !s.pid1 {
		return nil
	}
	s.log.Info("shutting down", "action", a)
	s.stopReaper() // wait(2) below is ours now
	if err := s.sys.KillAll(unix.SIGTERM); err != nil {
		s.log.Error("SIGTERM to all", "err", err)
	}
	s.waitChildren(killGrace)
	if err := s.sys.KillAll(unix.SIGKILL); err != nil {
		s.log.Error("SIGKILL to all", "err", err)
	}
	s.waitChildren(killGrace)
	s.sys.Sync()
	if s.dataMounted {
		dir := s.board.Storage.DataDir
		if err := s.sys.Unmount(dir, 0); err != nil {
			s.log.Error("unmount data; remounting read-only", "dir", dir, "err", err)
			if err := s.sys.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
				s.log.Error("remount data read-only", "dir", dir, "err", err)
			}
		}
		s.sys.Sync()
	}
	cmd := unix.LINUX_REBOOT_CMD_POWER_OFF
	if a == Reboot {
		cmd = unix.LINUX_REBOOT_CMD_RESTART
	}
	fmt.Fprintf(s.console, "%s %s uptime=%s\n", LinePrefix, a, seconds(s.sys.Uptime()))
	err := s.sys.Reboot(cmd)
	return fmt.Errorf("pid1: %s: %w", a, err)
}

// waitChildren reaps children until none is left or d has passed.
func (s *System) waitChildren(d time.Duration) {
	deadline := s.clock.Now().Add(d)
	for {
		pid, err := s.sys.ReapAny()
		if err != nil { // ECHILD: nobody left
			return
		}
		if pid > 0 {
			continue
		}
		if !s.clock.Now().Before(deadline) {
			return
		}
		<-s.clock.After(20 * time.Millisecond)
	}
}
