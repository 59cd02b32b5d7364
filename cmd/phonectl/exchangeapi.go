package main

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"

	"mehfooz/clock"
	"mehfooz/exchange/admin"
	"mehfooz/trust"
	"mehfooz/trust/ca"
)

// Environment variables that may stand in for the exchange flags, so a
// technician's shell sets them once.
const (
	envExchange = "MEHFOOZ_EXCHANGE"
	envCACert   = "MEHFOOZ_CA_CERT"
	envTechCert = "MEHFOOZ_TECH_CERT"
	envTechKey  = "MEHFOOZ_TECH_KEY"
)

// exchangeFlags are the flags of every command that talks to the
// exchange's technician API.
type exchangeFlags struct {
	addr, serverName, caCert, cert, key *string
}

func addExchangeFlags(fs *flag.FlagSet) *exchangeFlags {
	return &exchangeFlags{
		addr:       fs.String("exchange", "", "the exchange's technician API, HOST:PORT (default $"+envExchange+")"),
		serverName: fs.String("server-name", "", "name in the exchange's certificate (default: HOST)"),
		caCert:     fs.String("ca-cert", "", "the enrollment CA certificate, PEM (default $"+envCACert+")"),
		cert:       fs.String("cert", "", "your technician certificate, PEM (default $"+envTechCert+")"),
		key:        fs.String("key", "", "your technician key, PEM (default $"+envTechKey+")"),
	}
}

// technician is what a command needs to act at the exchange.
type technician struct {
	api      *admin.Client
	verifier *trust.Verifier
	cert     *x509.Certificate
	key      *ecdsa.PrivateKey
}

// open reads the files, checks the technician certificate and dials.
func (f *exchangeFlags) open(e *env) (*technician, error) {
	pick := func(flagVal *string, env, name string) (string, error) {
		if *flagVal != "" {
			return *flagVal, nil
		}
		if v := e.getenv(env); v != "" {
			return v, nil
		}
		return "", fmt.Errorf("%w: --%s is required (or set $%s)", errUsage, name, env)
	}
	addr, err := pick(f.addr, envExchange, "exchange")
	if err != nil {
		return nil, err
	}
	caPath, err := pick(f.caCert, envCACert, "ca-cert")
	if err != nil {
		return nil, err
	}
	certPath, err := pick(f.cert, envTechCert, "cert")
	if err != nil {
		return nil, err
	}
	keyPath, err := pick(f.key, envTechKey, "key")
	if err != nil {
		return nil, err
	}
	v, err := loadVerifier(caPath)
	if err != nil {
		return nil, err
	}
	cert, key, err := loadKeyPair(certPath, keyPath)
	if err != nil {
		return nil, err
	}
	if _, err := v.Technician(cert); err != nil {
		return nil, fmt.Errorf("--cert %s is not a valid technician certificate: %w", certPath, err)
	}
	api, err := admin.Dial(addr, tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}, v.Pool(), *f.serverName)
	if err != nil {
		return nil, err
	}
	return &technician{api: api, verifier: v, cert: cert, key: key}, nil
}

func loadVerifier(path string) (*trust.Verifier, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read CA certificate: %w", err)
	}
	c, err := ca.ParseCertificatePEM(b)
	if err != nil {
		return nil, fmt.Errorf("--ca-cert %s: %w", path, err)
	}
	return trust.NewVerifier(c, clock.Real{})
}

// loadKeyPair reads a PEM certificate and its PEM key and checks they match.
func loadKeyPair(certPath, keyPath string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	cb, err := os.ReadFile(certPath)
	if err != nil {
		return nil, nil, fmt.Errorf("read certificate: %w", err)
	}
	c, err := ca.ParseCertificatePEM(cb)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", certPath, err)
	}
	kb, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, nil, fmt.Errorf("read key: %w", err)
	}
	defer clear(kb)
	k, err := ca.ParseKeyPEM(kb)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	if !k.PublicKey.Equal(c.PublicKey) {
		return nil, nil, fmt.Errorf("key %s does not belong to certificate %s", keyPath, certPath)
	}
	return c, k, nil
}

// publisherFlags name the publisher's certificate and key, which sign the
// directory and the revocation list.
type publisherFlags struct{ cert, key *string }

func addPublisherFlags(fs *flag.FlagSet) *publisherFlags {
	return &publisherFlags{
		cert: fs.String("publisher-cert", "", "the publisher certificate, PEM, from phonectl ca issue --role publisher (required)"),
		key:  fs.String("publisher-key", "", "the publisher key, PEM (required)"),
	}
}

func (p *publisherFlags) load(v *trust.Verifier) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	if *p.cert == "" || *p.key == "" {
		return nil, nil, fmt.Errorf("%w: --publisher-cert and --publisher-key are required", errUsage)
	}
	c, k, err := loadKeyPair(*p.cert, *p.key)
	if err != nil {
		return nil, nil, err
	}
	if err := v.Verify(c, trust.RolePublisher, v.Now()); err != nil {
		return nil, nil, fmt.Errorf("--publisher-cert %s is not a valid publisher certificate: %w", *p.cert, err)
	}
	return c, k, nil
}

// apiErr turns an API refusal into a sentence for the technician.
func apiErr(what string, err error) error {
	var ae *admin.Error
	if errors.As(err, &ae) {
		return fmt.Errorf("%s: the exchange refused (%s): %s", what, ae.Code, ae.Message)
	}
	return fmt.Errorf("%s: %w", what, err)
}
