// Command exchange runs the operator-side rendezvous of the secure handsets:
// mutual-TLS signaling, presence and call routing for enrolled handsets, the
// TURN relay, distribution of the signed directory and revocation list, and
// the technician API. See docs/exchange.md.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		stop()
		os.Exit(2)
	}
	err = Run(ctx, o, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "exchange:", err)
		os.Exit(1)
	}
}
