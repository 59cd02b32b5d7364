package ca

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/trust"
	"mehfooz/trust/enroll"
	"mehfooz/trust/seal"
)

var epoch = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func TestCreateOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	clk := clock.NewFake(epoch)
	a, err := Create(dir, "Mehfooz Enrollment CA", []byte("s3cret pass"), seal.Test, clk)
	if err != nil {
		t.Fatal(err)
	}
	c := a.Certificate()
	if !c.IsCA || !c.MaxPathLenZero || c.SignatureAlgorithm != x509.ECDSAWithSHA384 {
		t.Fatalf("CA profile: IsCA %v pathlen0 %v alg %v", c.IsCA, c.MaxPathLenZero, c.SignatureAlgorithm)
	}
	st, _ := os.Stat(filepath.Join(dir, KeyFile))
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", st.Mode().Perm())
	}
	b, err := Open(dir, []byte("s3cret pass"), clk)
	if err != nil {
		t.Fatal(err)
	}
	if !b.Certificate().Equal(c) || !b.key.Equal(a.key) {
		t.Fatal("reopened CA differs")
	}
	if _, err := Open(dir, []byte("wrong"), clk); !errors.Is(err, seal.ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	if _, err := Create(dir, "again", []byte("x"), seal.Test, clk); !errors.Is(err, ErrExists) {
		t.Fatalf("second Create: %v", err)
	}
	if _, err := Create(t.TempDir(), "x", nil, seal.Test, clk); err == nil {
		t.Fatal("empty passphrase accepted")
	}
}

func TestLoadRejectsMismatchedKey(t *testing.T) {
	clk := clock.NewFake(epoch)
	a, _ := New(clk, "A", 0)
	b, _ := New(clk, "B", 0)
	sealed, _ := b.SealKey([]byte("pw"), seal.Test)
	if _, err := Load(EncodeCertificatePEM(a.Certificate()), sealed, []byte("pw"), clk); err == nil {
		t.Fatal("B's key loaded under A's certificate")
	}
}

func newRequest(t *testing.T, id trust.DeviceID) *enroll.Request {
	t.Helper()
	k, _ := NewKey()
	der, err := enroll.NewRequest(k, id)
	if err != nil {
		t.Fatal(err)
	}
	r, err := enroll.ParseRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestIssueDeviceProfile(t *testing.T) {
	clk := clock.NewFake(epoch)
	a, _ := New(clk, "CA", 0)
	c, err := a.IssueDevice(newRequest(t, "pk-0042"), 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if c.Subject.CommonName != "pk-0042" || c.NotAfter != epoch.Add(7*24*time.Hour).Truncate(time.Second) {
		t.Fatalf("CN %q NotAfter %v", c.Subject.CommonName, c.NotAfter)
	}
	if _, err := a.IssueDevice(newRequest(t, "pk-0042"), MaxValidity+time.Hour); err == nil {
		t.Fatal("over-long validity accepted")
	}
}

func TestRenewKeepsKeyAndID(t *testing.T) {
	clk := clock.NewFake(epoch)
	a, _ := New(clk, "CA", 0)
	k, _ := NewKey()
	der, _ := enroll.NewRequest(k, "pk-0001")
	req, _ := enroll.ParseRequest(der)
	cur, _ := a.IssueDevice(req, 0)
	clk.Advance(25 * 24 * time.Hour)
	next, err := a.Renew(cur, req, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !next.NotAfter.After(cur.NotAfter) || !next.PublicKey.(*ecdsa.PublicKey).Equal(cur.PublicKey) {
		t.Fatal("renewal did not extend or changed key")
	}
	if _, err := a.Renew(cur, newRequest(t, "pk-0001"), 0); err == nil {
		t.Fatal("renewal with another key accepted")
	}
	clk.Advance(10 * 24 * time.Hour)
	if _, err := a.Renew(cur, req, 0); !errors.Is(err, trust.ErrExpired) {
		t.Fatalf("renewal of an expired certificate: %v", err)
	}
}

// TestExchangeCertificateServesTLS runs a real TLS 1.3 handshake with the
// exchange certificate against the CA pool and a device client certificate.
func TestExchangeCertificateServesTLS(t *testing.T) {
	clk := clock.NewFake(time.Now())
	a, _ := New(clk, "CA", 0)
	xk, _ := NewKey()
	xc, err := a.IssueExchange(&xk.PublicKey, []string{"127.0.0.1", "exchange.local"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	dk, _ := NewKey()
	der, _ := enroll.NewRequest(dk, "pk-0001")
	req, _ := enroll.ParseRequest(der)
	dc, _ := a.IssueDevice(req, 0)
	v := a.Verifier()

	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{{Certificate: [][]byte{xc.Raw}, PrivateKey: xk}},
		ClientAuth:   tls.RequireAnyClientCert,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			_, _, err := v.DeviceRaw(raw)
			return err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			err = c.(*tls.Conn).Handshake()
			c.Close()
		}
		done <- err
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{
		MinVersion: tls.VersionTLS13, RootCAs: v.Pool(), ServerName: "127.0.0.1",
		Certificates: []tls.Certificate{{Certificate: [][]byte{dc.Raw}, PrivateKey: dk}},
	})
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !xc.IPAddresses[0].Equal(net.ParseIP("127.0.0.1")) || xc.DNSNames[0] != "exchange.local" {
		t.Fatalf("SANs %v %v", xc.IPAddresses, xc.DNSNames)
	}
}

func TestKeyPEMRoundTrip(t *testing.T) {
	k, _ := NewKey()
	p, err := EncodeKeyPEM(k)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseKeyPEM(p)
	if err != nil || !got.Equal(k) {
		t.Fatalf("ParseKeyPEM: %v", err)
	}
	if _, err := ParseCertificatePEM([]byte("nothing")); !errors.Is(err, trust.ErrMalformed) {
		t.Fatalf("ParseCertificatePEM garbage: %v", err)
	}
}
