package pid1

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"mehfooz/clock"
)

// exitDontRestart is the exit status by which a program asks not to be
// restarted (gokrazy's convention, kept so such programs run unchanged).
const exitDontRestart = 125

// stopGrace is how long a child has between SIGTERM and SIGKILL.
const stopGrace = 3 * time.Second

// Program is a child process to supervise.
type Program struct {
	Path  string
	Args  []string // argv[1:]
	Env   []string
	Files []*os.File // stdin, stdout, stderr, then extra fds; nil: /dev/null
}

// Process returns a Service.Run that runs prog as a child in its own
// process group: exit 0 or 125 ends supervision; any other exit or a fatal
// signal is a failure the Supervisor restarts. When ctx ends the group gets
// SIGTERM, then SIGKILL after a grace period.
func (r *Reaper) Process(prog Program, clk clock.Clock) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		argv := append([]string{prog.Path}, prog.Args...)
		p, exit, err := r.Start(prog.Path, argv, &os.ProcAttr{
			Env:   prog.Env,
			Files: prog.Files,
			Sys:   &syscall.SysProcAttr{Setpgid: true},
		})
		if err != nil {
			return fmt.Errorf("start %s: %w", prog.Path, err)
		}
		defer p.Release()
		select {
		case e := <-exit:
			return exitError(prog.Path, e.Status)
		case <-ctx.Done():
		}
		// The group id is the child's pid; while the child is unreaped the
		// id cannot be reused, and the exit channel says when it is reaped.
		unix.Kill(-p.Pid, unix.SIGTERM)
		t := clk.NewTimer(stopGrace)
		defer t.Stop()
		select {
		case <-exit:
			return ctx.Err()
		case <-t.C():
		}
		unix.Kill(-p.Pid, unix.SIGKILL)
		<-exit
		return ctx.Err()
	}
}

// ErrExited wraps a child's failure exit.
var ErrExited = errors.New("process exited")

func exitError(path string, ws unix.WaitStatus) error {
	switch {
	case ws.Exited() && (ws.ExitStatus() == 0 || ws.ExitStatus() == exitDontRestart):
		return nil
	case ws.Exited():
		return fmt.Errorf("%w: %s: status %d", ErrExited, path, ws.ExitStatus())
	default:
		return fmt.Errorf("%w: %s: %s", ErrExited, path, describe(ws))
	}
}

func describe(ws unix.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit %d", ws.ExitStatus())
	case ws.Signaled():
		return "signal " + ws.Signal().String()
	}
	return fmt.Sprintf("status %#x", uint32(ws))
}
