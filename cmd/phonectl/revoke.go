package main

import (
	"context"
	"fmt"
	"time"

	"mehfooz/exchange/admin"
	"mehfooz/trust"
	"mehfooz/trust/revocation"
)

func init() {
	register(command{path: []string{"revoke"}, summary: "revoke handsets: sign a new revocation list and push it through the exchange", run: runRevoke})
}

func runRevoke(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "revoke", "--exchange HOST:PORT --ca-cert CA.pem --cert TECH.pem --key TECH.key --publisher-cert PUB.pem --publisher-key PUB.key [--reason lost] DEVICE... | --refresh")
	xf := addExchangeFlags(fs)
	pf := addPublisherFlags(fs)
	reason := fs.String("reason", revocation.ReasonLost, "why: lost, retired, compromised, duress, wiped, remote-wipe, ...")
	valid := fs.Duration("valid", 7*24*time.Hour, "how long the new list is valid; handsets refuse calls once it expires")
	refresh := fs.Bool("refresh", false, "with no device: re-sign the current list (or publish the first, empty one) with a new expiry")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 && !*refresh {
		return fmt.Errorf("%w: name at least one device to revoke, or give --refresh", errUsage)
	}
	ids := make([]trust.DeviceID, 0, fs.NArg())
	for _, a := range fs.Args() {
		id, err := trust.ParseDeviceID(a)
		if err != nil {
			return fmt.Errorf("%w: %v", errUsage, err)
		}
		ids = append(ids, id)
	}
	if !trust.ValidName(*reason) {
		return fmt.Errorf("%w: --reason %q must be a short lower-case word", errUsage, *reason)
	}
	if *valid <= 0 {
		return fmt.Errorf("%w: --valid must be positive", errUsage)
	}
	tech, err := xf.open(e)
	if err != nil {
		return err
	}
	defer tech.api.Close()
	pubCert, pubKey, err := pf.load(tech.verifier)
	if err != nil {
		return err
	}

	// Start from the list the exchange holds, checked against the CA, so a
	// revocation is never lost by publishing a list without it.
	var cur *revocation.List
	raw, err := tech.api.Revocations(ctx)
	switch {
	case admin.IsCode(err, admin.CodeNotFound):
	case err != nil:
		return apiErr("fetch the current revocation list", err)
	default:
		if cur, err = revocation.Verify(raw, tech.verifier); err != nil {
			return fmt.Errorf("the exchange's current revocation list does not verify: %w", err)
		}
	}
	now := time.Now()
	next := &revocation.List{}
	if cur != nil {
		c := *cur
		next = &c
	}
	for _, id := range ids {
		next = next.With(revocation.Entry{ID: id, Revoked: now, Reason: *reason})
	}
	next.Version = 1
	if cur != nil {
		next.Version = cur.Version + 1
	}
	next.IssuedAt, next.Expires = now, now.Add(*valid)
	signed, err := revocation.Sign(next, pubKey, pubCert)
	if err != nil {
		return err
	}
	p, err := tech.api.PublishRevocations(ctx, signed)
	if err != nil {
		return apiErr("publish the revocation list", err)
	}
	fmt.Fprintf(e.stdout, "revocation list version %d published (%d devices revoked, valid until %s)\n", p.Version, len(next.Entries), next.Expires.Format(time.DateTime))
	for _, id := range ids {
		fmt.Fprintf(e.stdout, "  revoked %s (%s): cut off now, its calls ended, every handset told\n", id, *reason)
	}
	return nil
}
