package main

import (
	"context"
	"fmt"
	"os"

	"mehfooz/trust/ca"
)

func init() {
	register(command{path: []string{"register"}, summary: "register an enrolled handset's certificate with the exchange", run: runRegister})
}

func runRegister(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "register", "--exchange HOST:PORT --ca-cert CA.pem --cert TECH.pem --key TECH.key DEVICE-CERT.pem")
	xf := addExchangeFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: give exactly one device certificate (from phonectl enroll)", errUsage)
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	cert, err := ca.ParseCertificatePEM(b)
	if err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	tech, err := xf.open(e)
	if err != nil {
		return err
	}
	defer tech.api.Close()
	if _, err := tech.verifier.Device(cert); err != nil {
		return fmt.Errorf("%s is not a valid device certificate: %w", fs.Arg(0), err)
	}
	r, err := tech.api.Enroll(ctx, cert)
	if err != nil {
		return apiErr("register "+fs.Arg(0), err)
	}
	fmt.Fprintf(e.stdout, "registered %s with the exchange\n  certificate  %s\n", r.Device, r.Fingerprint)
	fmt.Fprintln(e.stdout, "  it is admitted once a published directory lists this certificate")
	return nil
}
