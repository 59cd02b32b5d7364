package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mehfooz/exchange/admin"
	"mehfooz/trust/ca"
	"mehfooz/trust/trusttest"
)

func freePort(t *testing.T, network string) string {
	t.Helper()
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer pc.Close()
		return pc.LocalAddr().String()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func write(t *testing.T, path string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunServesAndStops(t *testing.T) {
	f := trusttest.NewAt(t, time.Now())
	dir := t.TempDir()
	k, _ := ca.NewKey()
	sc, err := f.CA.IssueExchange(&k.PublicKey, []string{"127.0.0.1"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	keyPEM, _ := ca.EncodeKeyPEM(k)
	pubKeyPEM, _ := ca.EncodeKeyPEM(f.PublisherKey)
	tk, _ := ca.NewKey()
	tc, _ := f.CA.IssueTechnician("tech-one", &tk.PublicKey, 0)

	adminAddr := freePort(t, "tcp")
	var logs bytes.Buffer
	o, err := parseFlags([]string{
		"--ca", write(t, filepath.Join(dir, "ca.pem"), ca.EncodeCertificatePEM(f.CA.Certificate())),
		"--cert", write(t, filepath.Join(dir, "x.pem"), ca.EncodeCertificatePEM(sc)),
		"--key", write(t, filepath.Join(dir, "x.key"), keyPEM),
		"--db", filepath.Join(dir, "x.db"),
		"--publisher-cert", write(t, filepath.Join(dir, "pub.pem"), ca.EncodeCertificatePEM(f.PublisherCert)),
		"--publisher-key", write(t, filepath.Join(dir, "pub.key"), pubKeyPEM),
		"--listen", freePort(t, "tcp"), "--admin", adminAddr,
		"--turn-udp", freePort(t, "udp"), "--turn-tls", freePort(t, "tcp"), "--relay-ip", "127.0.0.1",
	}, &logs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o, &logs) }()

	c, err := admin.Dial(adminAddr, tls.Certificate{Certificate: [][]byte{tc.Raw}, PrivateKey: tk}, f.Verifier.Pool(), "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var fl *admin.Fleet
	for i := 0; i < 100; i++ {
		if fl, err = c.Fleet(context.Background()); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || len(fl.Devices) != 0 {
		t.Fatalf("fleet from a fresh exchange: %+v %v", fl, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if !strings.Contains(logs.String(), "exchange serving") {
		t.Fatalf("no start line in the log:\n%s", logs.String())
	}
}

func TestFlagsRefuseIncompleteConfiguration(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--ca", "ca.pem", "--cert", "x.pem"},
		{"--ca", "ca.pem", "--cert", "x.pem", "--key", "x.key"}, // TURN on, no relay IP
		{"--ca", "ca.pem", "--cert", "x.pem", "--key", "x.key", "--turn-udp=", "--turn-tls=", "extra"},
		{"--ca", "ca.pem", "--cert", "x.pem", "--key", "x.key", "--turn-udp=", "--turn-tls=", "--publisher-cert", "p.pem"},
	} {
		var out bytes.Buffer
		if _, err := parseFlags(args, &out); err == nil {
			t.Errorf("%q accepted", args)
		} else if !strings.Contains(out.String(), "exchange") {
			t.Errorf("%q: no explanation: %q", args, out.String())
		}
	}
	if _, err := parseFlags([]string{"--ca", "c", "--cert", "x", "--key", "k", "--turn-udp=", "--turn-tls="}, &bytes.Buffer{}); err != nil {
		t.Fatalf("exchange without relay refused: %v", err)
	}
}

func TestRunRefusesWrongCertificate(t *testing.T) {
	f := trusttest.NewAt(t, time.Now())
	dir := t.TempDir()
	dev := f.Enroll("pk-0001") // a device certificate is not an exchange's
	keyPEM, _ := ca.EncodeKeyPEM(dev.Key)
	o := &options{
		caCert: write(t, filepath.Join(dir, "ca.pem"), ca.EncodeCertificatePEM(f.CA.Certificate())),
		cert:   write(t, filepath.Join(dir, "x.pem"), ca.EncodeCertificatePEM(dev.Cert)),
		key:    write(t, filepath.Join(dir, "x.key"), keyPEM),
		db:     filepath.Join(dir, "x.db"), listen: "127.0.0.1:0", logLevel: "info",
	}
	err := Run(context.Background(), o, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "exchange certificate") {
		t.Fatalf("Run with a device certificate: %v", err)
	}
}
