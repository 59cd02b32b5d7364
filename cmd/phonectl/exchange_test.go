package main

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/exchange"
	"mehfooz/exchange/store"
	"mehfooz/trust"
	"mehfooz/trust/ca"
	"mehfooz/trust/trusttest"
)

// exchangeFixture is a real exchange on loopback, a technician and a
// publisher with their files on disk, and an env pointing at all of them.
type exchangeFixture struct {
	fleet *trusttest.Fleet
	x     *exchange.Exchange
	dir   string
	env   *env
	pub   []string // --publisher-cert, --publisher-key flags
}

func startExchange(t *testing.T) *exchangeFixture {
	t.Helper()
	f := trusttest.NewAt(t, time.Now())
	dir := t.TempDir()
	put := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyPEM := func(k any) []byte {
		b, err := ca.EncodeKeyPEM(k)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	xk, _ := ca.NewKey()
	xc, err := f.CA.IssueExchange(&xk.PublicKey, []string{"127.0.0.1"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	tk, _ := ca.NewKey()
	tc, _ := f.CA.IssueTechnician("tech-one", &tk.PublicKey, 0)
	st, err := store.Open(filepath.Join(dir, "x.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x, err := exchange.New(exchange.Config{Verifier: f.Verifier, Store: st, Clock: clock.Real{},
		Certificate: tls.Certificate{Certificate: [][]byte{xc.Raw}, PrivateKey: xk}})
	if err != nil {
		t.Fatal(err)
	}
	hl, _ := net.Listen("tcp", "127.0.0.1:0")
	al, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- x.Serve(ctx, hl, al) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		st.Close()
	})
	vars := map[string]string{
		envExchange: al.Addr().String(),
		envCACert:   put("ca.pem", ca.EncodeCertificatePEM(f.CA.Certificate())),
		envTechCert: put("tech.pem", ca.EncodeCertificatePEM(tc)),
		envTechKey:  put("tech.key", keyPEM(tk)),
	}
	return &exchangeFixture{fleet: f, x: x, dir: dir, env: trustEnv(vars), pub: []string{
		"--publisher-cert", put("pub.pem", ca.EncodeCertificatePEM(f.PublisherCert)),
		"--publisher-key", put("pub.key", keyPEM(f.PublisherKey)),
	}}
}

// device enrolls a handset with the CA and writes its certificate.
func (fx *exchangeFixture) device(t *testing.T, id string) string {
	t.Helper()
	d := fx.fleet.Enroll(trustID(id))
	p := filepath.Join(fx.dir, id+".pem")
	if err := os.WriteFile(p, ca.EncodeCertificatePEM(d.Cert), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func (fx *exchangeFixture) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	return runIn(t, fx.env, args...)
}

func TestExchangeCommandsEndToEnd(t *testing.T) {
	fx := startExchange(t)
	for _, id := range []string{"pk-0001", "pk-0002", "pk-0003"} {
		p := fx.device(t, id)
		if code, out, errs := fx.run(t, "register", p); code != 0 || !strings.Contains(out, "registered "+id) {
			t.Fatalf("register %s: %d %q %q", id, code, out, errs)
		}
	}
	src := filepath.Join(fx.dir, "directory.json")
	os.WriteFile(src, []byte(`{
  "entries": [
    {"id": "pk-0001", "name": "وزیر", "office": "Cabinet", "certificate": "pk-0001.pem", "groups": ["cabinet"]},
    {"id": "pk-0002", "name": "Secretary", "office": "Cabinet", "certificate": "pk-0002.pem", "groups": ["cabinet"]},
    {"id": "pk-0003", "name": "Aide", "office": "Staff", "certificate": "pk-0003.pem", "groups": ["staff"]}
  ],
  "rules": [{"from": "cabinet", "to": "cabinet"}, {"from": "cabinet", "to": "staff"}]
}`), 0o644)
	v1 := filepath.Join(fx.dir, "dir-v1.bundle")
	code, out, errs := fx.run(t, append([]string{"directory", "publish", "--source", src, "--out", v1}, fx.pub...)...)
	if code != 0 || !strings.Contains(out, "directory version 1 published: 3 devices, 2 rules") {
		t.Fatalf("directory publish: %d %q %q", code, out, errs)
	}
	// Publishing again signs version 2 (the exchange's current + 1).
	if code, out, errs = fx.run(t, append([]string{"directory", "publish", "--source", src}, fx.pub...)...); code != 0 || !strings.Contains(out, "version 2") {
		t.Fatalf("second publish: %d %q %q", code, out, errs)
	}
	// The saved version 1 is now a rollback, refused with the reason.
	code, _, errs = fx.run(t, "directory", "publish", "--signed", v1)
	if code != 1 || !strings.Contains(errs, "rollback") {
		t.Fatalf("rollback: %d %q", code, errs)
	}

	// The first, empty list; then revocations on top of it; then a refresh
	// that keeps them.
	code, out, errs = fx.run(t, append([]string{"revoke", "--refresh"}, fx.pub...)...)
	if code != 0 || !strings.Contains(out, "revocation list version 1 published (0 devices revoked") {
		t.Fatalf("first list: %d %q %q", code, out, errs)
	}
	code, out, errs = fx.run(t, append(append([]string{"revoke", "--reason", "lost"}, fx.pub...), "pk-0003")...)
	if code != 0 || !strings.Contains(out, "revocation list version 2 published (1 devices revoked") {
		t.Fatalf("revoke: %d %q %q", code, out, errs)
	}
	code, out, errs = fx.run(t, append(append([]string{"revoke", "--reason", "retired"}, fx.pub...), "pk-0002")...)
	if code != 0 || !strings.Contains(out, "version 3 published (2 devices revoked") {
		t.Fatalf("second revoke keeps the first: %d %q %q", code, out, errs)
	}
	code, out, errs = fx.run(t, append([]string{"revoke", "--refresh", "--valid", "48h"}, fx.pub...)...)
	if code != 0 || !strings.Contains(out, "version 4 published (2 devices revoked") {
		t.Fatalf("refresh: %d %q %q", code, out, errs)
	}

	code, out, errs = fx.run(t, "wipe", "pk-0001")
	if code != 0 || !strings.Contains(out, "queued: pk-0001 is offline") {
		t.Fatalf("wipe: %d %q %q", code, out, errs)
	}

	code, out, errs = fx.run(t, "fleet")
	if code != 0 {
		t.Fatalf("fleet: %d %q", code, errs)
	}
	for _, want := range []string{"3 handsets enrolled, 0 online; directory version 2, revocation list version 4",
		"pk-0001", "wipe pending", "revoked: lost", "revoked: retired"} {
		if !strings.Contains(out, want) {
			t.Fatalf("fleet output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = fx.run(t, "fleet", "--json")
	if code != 0 || !strings.Contains(out, `"wipe_pending": true`) {
		t.Fatalf("fleet --json: %d %q", code, out)
	}
	code, out, _ = fx.run(t, "fleet", "audit", "--limit", "1000")
	if code != 0 {
		t.Fatalf("fleet audit: %d", code)
	}
	for _, want := range []string{"enrolled", "directory", "revocations", "wipe-queued", "tech-one", "rollback"} {
		if !strings.Contains(out, want) {
			t.Fatalf("audit lacks %q:\n%s", want, out)
		}
	}
}

func TestExchangeCommandsErrors(t *testing.T) {
	fx := startExchange(t)
	bare := trustEnv(nil)
	for _, c := range []struct {
		env  *env
		args []string
		code int
		want string
	}{
		{bare, []string{"fleet"}, 2, "--exchange is required"},
		{fx.env, []string{"fleet", "extra"}, 2, "unexpected argument"},
		{fx.env, []string{"wipe"}, 2, "exactly one device"},
		{fx.env, []string{"wipe", "Not An ID"}, 2, "malformed device ID"},
		{fx.env, []string{"wipe", "pk-0404"}, 1, "not-found"},
		{fx.env, []string{"revoke", "pk-0001"}, 2, "--publisher-cert and --publisher-key are required"},
		{fx.env, []string{"revoke"}, 2, "at least one device to revoke, or give --refresh"},
		{fx.env, []string{"directory", "publish"}, 2, "either --source or --signed"},
		{fx.env, []string{"register"}, 2, "exactly one device certificate"},
		{fx.env, []string{"fleet", "audit", "--limit", "0"}, 2, "--limit"},
		{fx.env, []string{"fleet", "--help"}, 0, "usage: phonectl fleet"},
		{fx.env, []string{"revoke", "--help"}, 0, "--publisher-key"},
		{fx.env, []string{"wipe", "--help"}, 0, "usage: phonectl wipe"},
		{fx.env, []string{"directory", "publish", "--help"}, 0, "--source"},
	} {
		code, out, errs := runIn(t, c.env, c.args...)
		if code != c.code || !strings.Contains(out+errs, c.want) {
			t.Errorf("%q: code %d, out %q err %q; want %d and %q", c.args, code, out, errs, c.code, c.want)
		}
	}
	// A device certificate used as the technician's is refused before any
	// request is made.
	dev := fx.fleet.Enroll("pk-0001")
	p := filepath.Join(fx.dir, "dev.pem")
	os.WriteFile(p, ca.EncodeCertificatePEM(dev.Cert), 0o644)
	kb, _ := ca.EncodeKeyPEM(dev.Key)
	kp := filepath.Join(fx.dir, "dev.key")
	os.WriteFile(kp, kb, 0o600)
	code, _, errs := fx.run(t, "fleet", "--cert", p, "--key", kp)
	if code != 1 || !strings.Contains(errs, "not a valid technician certificate") {
		t.Fatalf("device as technician: %d %q", code, errs)
	}
	// A directory source whose certificate belongs to another entry.
	fx.device(t, "pk-0002")
	src := filepath.Join(fx.dir, "bad.json")
	os.WriteFile(src, []byte(`{"entries":[{"id":"pk-0001","certificate":"pk-0002.pem","groups":["a-b"]}],"rules":[]}`), 0o644)
	code, _, errs = fx.run(t, append([]string{"directory", "publish", "--source", src}, fx.pub...)...)
	if code != 1 || !strings.Contains(errs, "lists the certificate of pk-0002") {
		t.Fatalf("mismatched certificate: %d %q", code, errs)
	}
	os.WriteFile(src, []byte(`{"entries":[],"rulez":[]}`), 0o644)
	code, _, errs = fx.run(t, append([]string{"directory", "publish", "--source", src}, fx.pub...)...)
	if code != 1 || !strings.Contains(errs, "unknown field") {
		t.Fatalf("unknown field: %d %q", code, errs)
	}
}

func trustID(s string) trust.DeviceID { return trust.DeviceID(s) }
