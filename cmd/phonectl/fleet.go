package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"
)

func init() {
	register(command{path: []string{"fleet"}, summary: "show every enrolled handset: online, last seen, key exchange, revoked", run: runFleet})
	register(command{path: []string{"fleet", "audit"}, summary: "show the exchange's audit log of security events", run: runFleetAudit})
}

func runFleet(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "fleet", "--exchange HOST:PORT --ca-cert CA.pem --cert TECH.pem --key TECH.key [--json]")
	xf := addExchangeFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	tech, err := xf.open(e)
	if err != nil {
		return err
	}
	defer tech.api.Close()
	f, err := tech.api.Fleet(ctx)
	if err != nil {
		return apiErr("fleet status", err)
	}
	if *asJSON {
		return printJSON(e.stdout, f)
	}
	online := 0
	for _, d := range f.Devices {
		if d.Online {
			online++
		}
	}
	fmt.Fprintf(e.stdout, "%d handsets enrolled, %d online; directory version %d, revocation list version %d, %d calls open\n\n",
		len(f.Devices), online, f.Directory, f.Revocations, f.OpenCalls)
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DEVICE\tSTATE\tKEY EXCHANGE\tSINCE / LAST SEEN\tDIRECTORY\tNOTE")
	for _, d := range f.Devices {
		state, group, when := "offline", "-", "-"
		if d.Online {
			state, group, when = "online", d.Group, stamp(d.Since)
		} else if !d.LastSeen.IsZero() {
			when = stamp(d.LastSeen)
		}
		listed := "listed"
		if !d.Listed {
			listed = "NOT LISTED"
		}
		note := ""
		if d.Revoked != "" {
			note = "revoked: " + d.Revoked
		}
		if d.WipePending {
			note += " wipe pending"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, state, group, when, listed, note)
	}
	return tw.Flush()
}

func stamp(t time.Time) string { return t.Local().Format(time.DateTime) }

func runFleetAudit(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "fleet audit", "--exchange HOST:PORT --ca-cert CA.pem --cert TECH.pem --key TECH.key [--after SEQ] [--limit N] [--json]")
	xf := addExchangeFlags(fs)
	after := fs.Uint64("after", 0, "show events after this sequence number")
	limit := fs.Int("limit", 100, "show at most this many events (1..10000)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *limit < 1 || *limit > 10000 {
		return fmt.Errorf("%w: --limit must be in 1..10000", errUsage)
	}
	tech, err := xf.open(e)
	if err != nil {
		return err
	}
	defer tech.api.Close()
	a, err := tech.api.Audit(ctx, *after, *limit)
	if err != nil {
		return apiErr("audit log", err)
	}
	if *asJSON {
		return printJSON(e.stdout, a)
	}
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME\tEVENT\tDEVICE\tBY\tCODE\tREASON")
	for _, ev := range a.Events {
		reason := ev.Reason
		if ev.Remote != "" {
			reason += " [from " + ev.Remote + "]"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", ev.Seq, stamp(ev.Time), ev.Kind, dash(ev.Device), dash(ev.Actor), dash(ev.Code), reason)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
