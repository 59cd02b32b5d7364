// Command modemsim runs a simulated cellular modem on a pseudo-terminal or
// a unix socket, for the handset daemon, its tests and QEMU boards. See
// docs/modemsim.md.
//
//	modemsim [flags]                  run the simulator
//	modemsim ctl --control PATH REQ   send one control request
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
