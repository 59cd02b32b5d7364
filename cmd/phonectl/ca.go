package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mehfooz/atomicfile"
	"mehfooz/clock"
	"mehfooz/trust"
	"mehfooz/trust/ca"
	"mehfooz/trust/seal"
)

// envPassphrase names the variable that may hold the CA passphrase. A flag
// value would land in shell history and in /proc/PID/cmdline.
const envPassphrase = "MEHFOOZ_CA_PASSPHRASE"

// minPassphrase is the shortest CA passphrase ca init accepts.
const minPassphrase = 12

func init() {
	register(command{path: []string{"ca", "init"}, summary: "create the enrollment CA (key sealed under a passphrase)", run: runCAInit})
	register(command{path: []string{"ca", "issue"}, summary: "issue a technician, exchange or publisher certificate and key", run: runCAIssue})
}

// passphraseFlag adds --passphrase-file; readPassphrase then takes the file
// or, without it, $MEHFOOZ_CA_PASSPHRASE.
func passphraseFlag(fs *flag.FlagSet) *string {
	return fs.String("passphrase-file", "", "file holding the CA passphrase (default: $"+envPassphrase+")")
}

func readPassphrase(e *env, file string) ([]byte, error) {
	var p []byte
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		p = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
	} else {
		p = []byte(e.getenv(envPassphrase))
	}
	if len(p) == 0 {
		return nil, fmt.Errorf("%w: no CA passphrase: give --passphrase-file or set $%s", errUsage, envPassphrase)
	}
	return p, nil
}

func caDirFlag(fs *flag.FlagSet) *string {
	return fs.String("ca", "", "the CA directory made by phonectl ca init (required)")
}

// openCA opens the CA in dir and turns a wrong passphrase into a plain message.
func openCA(e *env, dir, passFile string) (*ca.Authority, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: --ca is required", errUsage)
	}
	pass, err := readPassphrase(e, passFile)
	if err != nil {
		return nil, err
	}
	defer clear(pass)
	a, err := ca.Open(dir, pass, clock.Real{})
	if errors.Is(err, seal.ErrWrongPassphrase) {
		return nil, fmt.Errorf("wrong CA passphrase for %s (or the sealed key was altered)", dir)
	}
	return a, err
}

func runCAInit(_ context.Context, e *env, args []string) error {
	fs := flags(e, "ca init", "--dir DIR [--name NAME] [--passphrase-file FILE]")
	dir := fs.String("dir", "", "directory to create the CA in (required)")
	name := fs.String("name", "Mehfooz Enrollment CA", "the CA's common name")
	passFile := passphraseFlag(fs)
	mem := fs.Uint("kdf-memory", uint(seal.Workstation.MemoryKiB>>10), "argon2id memory in MiB for sealing the CA key")
	passes := fs.Uint("kdf-time", uint(seal.Workstation.Time), "argon2id passes for sealing the CA key")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *dir == "" {
		return fmt.Errorf("%w: --dir is required", errUsage)
	}
	pass, err := readPassphrase(e, *passFile)
	if err != nil {
		return err
	}
	defer clear(pass)
	if len(pass) < minPassphrase {
		return fmt.Errorf("%w: the CA passphrase must have at least %d characters", errUsage, minPassphrase)
	}
	p := seal.Params{Time: uint32(*passes), MemoryKiB: uint32(*mem) << 10, Threads: seal.Workstation.Threads}
	if err := p.Validate(); err != nil {
		return fmt.Errorf("%w: --kdf-memory/--kdf-time: %v", errUsage, err)
	}
	a, err := ca.Create(*dir, *name, pass, p, clock.Real{})
	if err != nil {
		return err
	}
	c := a.Certificate()
	fmt.Fprintf(e.stdout, "created %s in %s\n", c.Subject.CommonName, *dir)
	fmt.Fprintf(e.stdout, "  certificate  %s (give this to every handset and the exchange)\n", filepath.Join(*dir, ca.CertFile))
	fmt.Fprintf(e.stdout, "  sealed key   %s (argon2id %d MiB, %d passes; AES-256-GCM)\n", filepath.Join(*dir, ca.KeyFile), p.MemoryKiB>>10, p.Time)
	fmt.Fprintf(e.stdout, "  fingerprint  %s\n", trust.FingerprintOf(c.Raw))
	fmt.Fprintf(e.stdout, "  valid until  %s\n", c.NotAfter.Format(time.DateOnly))
	return nil
}

func runCAIssue(_ context.Context, e *env, args []string) error {
	fs := flags(e, "ca issue", "--ca DIR --role technician|exchange|publisher --name NAME [--host H,...] --out PREFIX")
	dir := caDirFlag(fs)
	passFile := passphraseFlag(fs)
	role := fs.String("role", "", "technician, exchange or publisher (required)")
	name := fs.String("name", "", "technician name or publisher name (device-ID form for technicians)")
	hosts := fs.String("host", "", "exchange only: comma-separated DNS names or IP addresses the handsets dial")
	out := fs.String("out", "", "write PREFIX.pem (certificate) and PREFIX.key (private key, mode 0600) (required)")
	validity := fs.Duration("validity", 0, "certificate lifetime (default: 90 days for technicians, 1 year otherwise)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	switch trust.Role(*role) {
	case trust.RoleTechnician, trust.RolePublisher:
		if *name == "" {
			return fmt.Errorf("%w: --name is required for role %s", errUsage, *role)
		}
	case trust.RoleExchange:
		if *hosts == "" {
			return fmt.Errorf("%w: --host is required for role exchange", errUsage)
		}
	default:
		return fmt.Errorf("%w: --role must be technician, exchange or publisher, not %q", errUsage, *role)
	}
	for _, p := range []string{*out + ".pem", *out + ".key"} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("%s exists: refusing to overwrite a key or certificate", p)
		}
	}
	a, err := openCA(e, *dir, *passFile)
	if err != nil {
		return err
	}
	key, err := ca.NewKey()
	if err != nil {
		return err
	}
	var c *x509.Certificate
	switch trust.Role(*role) {
	case trust.RoleTechnician:
		c, err = a.IssueTechnician(*name, &key.PublicKey, *validity)
	case trust.RolePublisher:
		c, err = a.IssuePublisher(*name, &key.PublicKey, *validity)
	case trust.RoleExchange:
		c, err = a.IssueExchange(&key.PublicKey, strings.Split(*hosts, ","), *validity)
	}
	if err != nil {
		return err
	}
	keyPEM, err := ca.EncodeKeyPEM(key)
	if err != nil {
		return err
	}
	defer clear(keyPEM)
	if err := atomicfile.WriteFile(*out+".key", keyPEM, 0o600); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(*out+".pem", ca.EncodeCertificatePEM(c), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "issued %s certificate for %q, valid until %s\n", *role, c.Subject.CommonName, c.NotAfter.Format(time.DateOnly))
	fmt.Fprintf(e.stdout, "  certificate  %s.pem\n  key          %s.key\n  fingerprint  %s\n", *out, *out, trust.FingerprintOf(c.Raw))
	return nil
}
