package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"time"

	"mehfooz/atomicfile"
	"mehfooz/daemon/api"
	"mehfooz/trust"
	"mehfooz/trust/ca"
	"mehfooz/trust/enroll"
)

func init() {
	register(command{path: []string{"enroll"}, summary: "turn a handset's certificate request into its device certificate", run: runEnroll})
}

func runEnroll(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "enroll", "--ca DIR (--request FILE|- [--out FILE] | (--socket PATH | --bench PATH) --device ID) [--validity 720h] [--renew CERT]")
	dir := caDirFlag(fs)
	passFile := passphraseFlag(fs)
	reqPath := fs.String("request", "", "the handset's certificate request, PEM or DER; - reads stdin (required)")
	out := fs.String("out", "", "write the certificate (PEM) here; default stdout")
	validity := fs.Duration("validity", ca.DeviceValidity, "certificate lifetime")
	sock := fs.String("socket", "", "enroll a running phoned: fetch its request from this local API socket and install the certificate")
	device := fs.String("device", "", "the device ID the handset must ask for (required with --socket and --bench: a data partition can name any ID)")
	bench := fs.String("bench", "", "enroll a handset over its bench line (serial cable, or an emulated handset's bench socket), as --socket does")
	renew := fs.String("renew", "", "renew: the device's current certificate (PEM); the request must carry the same ID and key")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	given := 0
	for _, v := range []string{*reqPath, *sock, *bench} {
		if v != "" {
			given++
		}
	}
	if given != 1 {
		return fmt.Errorf("%w: give one of --request, --socket and --bench", errUsage)
	}
	if (*sock != "" || *bench != "") && *device == "" {
		return fmt.Errorf("%w: with --socket or --bench, --device names the ID this handset must have", errUsage)
	}
	var handset *api.Client
	switch {
	case *sock != "":
		handset = dialer(*sock)
	case *bench != "":
		var done func()
		ctx, handset, done = benchSession(ctx, *bench)
		defer done()
	}
	if *validity <= 0 || *validity > ca.MaxValidity {
		return fmt.Errorf("%w: --validity must be in (0, %v]", errUsage, ca.MaxValidity)
	}
	var raw []byte
	var err error
	switch {
	case handset != nil:
		raw, err = handset.EnrollRequest(ctx)
	case *reqPath == "-":
		raw, err = io.ReadAll(io.LimitReader(e.stdin, enroll.MaxRequestSize+1))
	default:
		raw, err = os.ReadFile(*reqPath)
	}
	if err != nil {
		return fmt.Errorf("read request: %w", err)
	}
	req, err := enroll.ParseRequest(raw)
	if err != nil {
		return err
	}
	if *device != "" && string(req.ID) != *device {
		// A fleet image takes the handset's ID from its data partition,
		// which is not signed: check it against the technician's records.
		return fmt.Errorf("the handset asks for a certificate for %q, not %q: check its data partition (phonectl flash --device-id); nothing was issued", req.ID, *device)
	}
	a, err := openCA(e, *dir, *passFile)
	if err != nil {
		return err
	}
	var c *x509.Certificate
	if *renew != "" {
		b, rerr := os.ReadFile(*renew)
		if rerr != nil {
			return fmt.Errorf("read current certificate: %w", rerr)
		}
		cur, perr := ca.ParseCertificatePEM(b)
		if perr != nil {
			return fmt.Errorf("current certificate %s: %w", *renew, perr)
		}
		// err is the outer one: a refused renewal must not pass as done.
		c, err = a.Renew(cur, req, *validity)
	} else {
		c, err = a.IssueDevice(req, *validity)
	}
	if err != nil {
		return err
	}
	pem := ca.EncodeCertificatePEM(c)
	report := e.stdout
	if handset != nil {
		if err := handset.InstallCertificate(ctx, pem); err != nil {
			return err
		}
	}
	switch {
	case *out != "":
		if err := atomicfile.WriteFile(*out, pem, 0o644); err != nil {
			return err
		}
	case handset == nil: // the certificate goes to stdout, the report aside
		if _, err := e.stdout.Write(pem); err != nil {
			return err
		}
		report = e.stderr
	}
	fmt.Fprintf(report, "enrolled %s until %s\n  fingerprint %s (for its directory entry)\n", req.ID, c.NotAfter.Format(time.RFC3339), trust.FingerprintOf(c.Raw))
	return nil
}
