package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mehfooz/clock"
	"mehfooz/trust"
	"mehfooz/trust/ca"
	"mehfooz/trust/enroll"
)

// cheapKDF keeps the in-process tests fast; the defaults are measured in docs/trust.md.
var cheapKDF = []string{"--kdf-memory", "1", "--kdf-time", "1"}

func runIn(t *testing.T, e *env, args ...string) (int, string, string) {
	t.Helper()
	out, errb := e.stdout.(*strings.Builder), e.stderr.(*strings.Builder)
	out.Reset()
	errb.Reset()
	code := run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func trustEnv(vars map[string]string) *env {
	return &env{stdin: strings.NewReader(""), stdout: &strings.Builder{}, stderr: &strings.Builder{},
		getenv: func(k string) string { return vars[k] }}
}

func TestCAInitEnrollIssue(t *testing.T) {
	dir := t.TempDir()
	caDir := filepath.Join(dir, "ca")
	passFile := filepath.Join(dir, "pass")
	os.WriteFile(passFile, []byte("correct horse battery\n"), 0o600)
	e := trustEnv(nil)

	code, out, stderr := runIn(t, e, append([]string{"ca", "init", "--dir", caDir, "--passphrase-file", passFile}, cheapKDF...)...)
	if code != 0 || !strings.Contains(out, "fingerprint") {
		t.Fatalf("ca init: code %d out %q err %q", code, out, stderr)
	}
	if code, _, stderr = runIn(t, e, append([]string{"ca", "init", "--dir", caDir, "--passphrase-file", passFile}, cheapKDF...)...); code != 1 || !strings.Contains(stderr, "already exists") {
		t.Fatalf("second ca init: code %d err %q", code, stderr)
	}

	// The handset side: a key and a request.
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := enroll.NewRequest(key, "pk-0007")
	reqFile := filepath.Join(dir, "pk-0007.csr")
	os.WriteFile(reqFile, enroll.EncodePEM(der), 0o644)
	certFile := filepath.Join(dir, "pk-0007.pem")
	code, out, stderr = runIn(t, e, "enroll", "--ca", caDir, "--passphrase-file", passFile, "--request", reqFile, "--out", certFile, "--validity", "240h")
	if code != 0 || !strings.Contains(out, "enrolled pk-0007") {
		t.Fatalf("enroll: code %d out %q err %q", code, out, stderr)
	}
	b, _ := os.ReadFile(certFile)
	cert, err := ca.ParseCertificatePEM(b)
	if err != nil {
		t.Fatal(err)
	}
	caPEM, _ := os.ReadFile(filepath.Join(caDir, ca.CertFile))
	anchor, _ := ca.ParseCertificatePEM(caPEM)
	v, _ := trust.NewVerifier(anchor, clock.Real{})
	if id, err := v.Device(cert); err != nil || id != "pk-0007" {
		t.Fatalf("issued certificate: %q, %v", id, err)
	}
	if !strings.Contains(out, trust.FingerprintOf(cert.Raw).String()) {
		t.Fatalf("enroll did not print the fingerprint: %q", out)
	}

	// Renewal from stdin with the passphrase in the environment, certificate to stdout.
	e2 := trustEnv(map[string]string{envPassphrase: "correct horse battery"})
	e2.stdin = strings.NewReader(string(enroll.EncodePEM(der)))
	code, out, stderr = runIn(t, e2, "enroll", "--ca", caDir, "--request", "-", "--renew", certFile)
	if code != 0 || !strings.HasPrefix(out, "-----BEGIN CERTIFICATE-----") || !strings.Contains(stderr, "enrolled pk-0007") {
		t.Fatalf("renew: code %d out %q err %q", code, out, stderr)
	}

	// A renewal the CA refuses (the request is another handset's) fails
	// loudly and writes nothing.
	otherKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	otherDER, _ := enroll.NewRequest(otherKey, "pk-0008")
	otherReq := filepath.Join(dir, "pk-0008.csr")
	os.WriteFile(otherReq, enroll.EncodePEM(otherDER), 0o644)
	renewed := filepath.Join(dir, "renewed.pem")
	code, _, stderr = runIn(t, e, "enroll", "--ca", caDir, "--passphrase-file", passFile, "--request", otherReq, "--renew", certFile, "--out", renewed)
	if code != 1 || stderr == "" {
		t.Fatalf("renewal for another handset: code %d err %q", code, stderr)
	}
	if _, err := os.Stat(renewed); err == nil {
		t.Fatal("a refused renewal wrote a certificate")
	}

	// ca issue: an exchange certificate and key.
	code, _, stderr = runIn(t, e, "ca", "issue", "--ca", caDir, "--passphrase-file", passFile, "--role", "exchange", "--host", "127.0.0.1,exchange.local", "--out", filepath.Join(dir, "exchange"))
	if code != 0 {
		t.Fatalf("ca issue: code %d err %q", code, stderr)
	}
	kb, _ := os.ReadFile(filepath.Join(dir, "exchange.key"))
	if _, err := ca.ParseKeyPEM(kb); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(filepath.Join(dir, "exchange.key")); st.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v", st.Mode().Perm())
	}
	if code, _, stderr = runIn(t, e, "ca", "issue", "--ca", caDir, "--passphrase-file", passFile, "--role", "exchange", "--host", "x", "--out", filepath.Join(dir, "exchange")); code != 1 || !strings.Contains(stderr, "refusing to overwrite") {
		t.Fatalf("overwrite: code %d err %q", code, stderr)
	}
	code, _, stderr = runIn(t, e, "ca", "issue", "--ca", caDir, "--passphrase-file", passFile, "--role", "technician", "--name", "amina", "--out", filepath.Join(dir, "amina"))
	if code != 0 {
		t.Fatalf("technician: %q", stderr)
	}
}

func TestTrustCommandErrors(t *testing.T) {
	dir := t.TempDir()
	caDir := filepath.Join(dir, "ca")
	good, bad := filepath.Join(dir, "good"), filepath.Join(dir, "bad")
	os.WriteFile(good, []byte("a long enough passphrase"), 0o600)
	os.WriteFile(bad, []byte("another long passphrase"), 0o600)
	e := trustEnv(nil)
	if code, _, stderr := runIn(t, e, append([]string{"ca", "init", "--dir", caDir, "--passphrase-file", good}, cheapKDF...)...); code != 0 {
		t.Fatal(stderr)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := enroll.NewRequest(key, "pk-0001")
	req := filepath.Join(dir, "req")
	os.WriteFile(req, der, 0o600)
	garbage := filepath.Join(dir, "garbage")
	os.WriteFile(garbage, []byte("not a request"), 0o600)

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"enroll", "--help"}, 0, "usage: phonectl enroll"},
		{"ca init help", []string{"ca", "init", "-h"}, 0, "--passphrase-file"},
		{"passphrase as a flag value", []string{"ca", "init", "--dir", caDir, "--passphrase", "x"}, 1, "flag provided but not defined"},
		{"no passphrase", []string{"enroll", "--ca", caDir, "--request", req}, 2, "MEHFOOZ_CA_PASSPHRASE"},
		{"short passphrase", []string{"ca", "init", "--dir", filepath.Join(dir, "ca2"), "--passphrase-file", req + "x"}, 1, "read passphrase"},
		{"wrong passphrase", []string{"enroll", "--ca", caDir, "--passphrase-file", bad, "--request", req}, 1, "wrong CA passphrase"},
		{"malformed request", []string{"enroll", "--ca", caDir, "--passphrase-file", good, "--request", garbage}, 1, "malformed"},
		{"missing request flag", []string{"enroll", "--ca", caDir}, 2, "give one of --request, --socket and --bench"},
		{"bad role", []string{"ca", "issue", "--ca", caDir, "--role", "device", "--out", "x"}, 2, "--role must be"},
		{"validity too long", []string{"enroll", "--ca", caDir, "--request", req, "--validity", "10000h"}, 2, "--validity"},
	} {
		code, out, stderr := runIn(t, e, tc.args...)
		if code != tc.code || !strings.Contains(out+stderr, tc.want) {
			t.Errorf("%s: code %d (want %d), output %q (want %q)", tc.name, code, tc.code, out+stderr, tc.want)
		}
	}
	e2 := trustEnv(map[string]string{envPassphrase: "short"})
	if code, _, stderr := runIn(t, e2, "ca", "init", "--dir", filepath.Join(dir, "ca3")); code != 2 || !strings.Contains(stderr, "at least 12") {
		t.Errorf("short passphrase: code %d err %q", code, stderr)
	}
}
