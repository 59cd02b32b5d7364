package main

import (
	"context"
	"fmt"
	"time"

	"mehfooz/exchange/wire"
	"mehfooz/trust"
)

func init() {
	register(command{path: []string{"wipe"}, summary: "order a handset wiped (signed by you; delivered when it connects)", run: runWipe})
}

func runWipe(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "wipe", "--exchange HOST:PORT --ca-cert CA.pem --cert TECH.pem --key TECH.key DEVICE")
	xf := addExchangeFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: name exactly one device to wipe", errUsage)
	}
	id, err := trust.ParseDeviceID(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	tech, err := xf.open(e)
	if err != nil {
		return err
	}
	defer tech.api.Close()
	// The order is signed with the technician's own key: the exchange only
	// carries it, and the handset checks the signature before it wipes.
	o := &wire.WipeOrder{ID: wire.NewOrderID(), Device: string(id), Issued: time.Now().Unix(), Technician: tech.cert.Raw}
	if err := o.Sign(tech.key); err != nil {
		return err
	}
	raw, err := o.Marshal()
	if err != nil {
		return err
	}
	q, err := tech.api.Wipe(ctx, raw)
	if err != nil {
		return apiErr("wipe "+string(id), err)
	}
	if q.Delivered {
		fmt.Fprintf(e.stdout, "wipe order %s delivered to %s now\n", q.Order, q.Device)
	} else {
		fmt.Fprintf(e.stdout, "wipe order %s queued: %s is offline and gets it when it connects\n", q.Order, q.Device)
	}
	fmt.Fprintln(e.stdout, "  phonectl fleet shows it pending until the handset confirms; the handset is then blocked")
	return nil
}
