package trust_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/trust"
	"mehfooz/trust/ca"
	"mehfooz/trust/enroll"
)

var epoch = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// rawCA signs arbitrary templates, to build the certificates the real CA
// refuses to make (wrong EKU, wrong key type) and see the verifier refuse them.
type rawCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newRawCA(t testing.TB, notBefore, notAfter time.Time) *rawCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "raw CA"},
		NotBefore: notBefore, NotAfter: notAfter, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, SignatureAlgorithm: x509.ECDSAWithSHA384,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &rawCA{cert: c, key: key}
}

func (r *rawCA) sign(t testing.TB, tpl *x509.Certificate, pub crypto.PublicKey) *x509.Certificate {
	t.Helper()
	tpl.SerialNumber = big.NewInt(time.Now().UnixNano())
	der, err := x509.CreateCertificate(rand.Reader, tpl, r.cert, pub, r.key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return c
}

func deviceTemplate(cn string) *x509.Certificate {
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn, OrganizationalUnit: []string{"device"}},
		NotBefore:   epoch.Add(-time.Hour),
		NotAfter:    epoch.Add(30 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
}

func p384(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func enrolled(t testing.TB, a *ca.Authority, id trust.DeviceID) *x509.Certificate {
	t.Helper()
	key := p384(t)
	der, err := enroll.NewRequest(key, id)
	if err != nil {
		t.Fatal(err)
	}
	req, err := enroll.ParseRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.IssueDevice(req, 0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestVerifyDeviceAccepts(t *testing.T) {
	clk := clock.NewFake(epoch)
	a, err := ca.New(clk, "Test CA", 0)
	if err != nil {
		t.Fatal(err)
	}
	c := enrolled(t, a, "pk-0001")
	v := a.Verifier()
	id, err := v.Device(c)
	if err != nil || id != "pk-0001" {
		t.Fatalf("Device = %q, %v; want pk-0001, nil", id, err)
	}
	id, leaf, err := v.DeviceRaw([][]byte{c.Raw})
	if err != nil || id != "pk-0001" || leaf == nil {
		t.Fatalf("DeviceRaw = %q, %v", id, err)
	}
	if c.SignatureAlgorithm != x509.ECDSAWithSHA384 {
		t.Fatalf("signature algorithm %v, want ECDSA-SHA384", c.SignatureAlgorithm)
	}
}

func TestVerifyUnenrolled(t *testing.T) {
	a, _ := ca.New(clock.NewFake(epoch), "Test CA", 0)
	v := a.Verifier()
	if _, err := v.Device(nil); !errors.Is(err, trust.ErrUnenrolled) {
		t.Errorf("nil leaf: %v", err)
	}
	for _, raw := range [][][]byte{nil, {{}}, {[]byte("not a certificate")}, {make([]byte, trust.MaxCertificateSize+1)}} {
		if _, _, err := v.DeviceRaw(raw); !errors.Is(err, trust.ErrUnenrolled) {
			t.Errorf("raw %d certs: err = %v, want ErrUnenrolled", len(raw), err)
		}
	}
}

func TestVerifyWrongCA(t *testing.T) {
	clk := clock.NewFake(epoch)
	ours, _ := ca.New(clk, "Ours", 0)
	theirs, _ := ca.New(clk, "Theirs", 0)
	c := enrolled(t, theirs, "pk-0001")
	if _, err := ours.Verifier().Device(c); !errors.Is(err, trust.ErrWrongCA) {
		t.Fatalf("other CA: err = %v, want ErrWrongCA", err)
	}
	// Same even when it is expired too: the chain is judged first.
	clk.Advance(365 * 24 * time.Hour)
	if _, err := ours.Verifier().Device(c); !errors.Is(err, trust.ErrWrongCA) {
		t.Fatalf("other CA, expired: err = %v, want ErrWrongCA", err)
	}
	// A self-signed device certificate.
	k := p384(t)
	tpl := deviceTemplate("pk-0001")
	tpl.SerialNumber = big.NewInt(5)
	der, _ := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	self, _ := x509.ParseCertificate(der)
	if _, err := ours.Verifier().Device(self); !errors.Is(err, trust.ErrWrongCA) {
		t.Fatalf("self-signed: err = %v, want ErrWrongCA", err)
	}
}

func TestVerifyExpired(t *testing.T) {
	clk := clock.NewFake(epoch)
	a, _ := ca.New(clk, "Test CA", 0)
	c := enrolled(t, a, "pk-0001")
	clk.Advance(ca.DeviceValidity + time.Second)
	if _, err := a.Verifier().Device(c); !errors.Is(err, trust.ErrExpired) {
		t.Fatalf("err = %v, want ErrExpired", err)
	}
}

func TestVerifyNotYetValid(t *testing.T) {
	clk := clock.NewFake(epoch)
	a, _ := ca.New(clk, "Test CA", 0)
	c := enrolled(t, a, "pk-0001")
	v, _ := trust.NewVerifier(a.Certificate(), clock.NewFake(epoch.Add(-ca.Backdate-time.Second)))
	if _, err := v.Device(c); !errors.Is(err, trust.ErrNotYetValid) {
		t.Fatalf("err = %v, want ErrNotYetValid", err)
	}
}

func TestVerifyCAExpired(t *testing.T) {
	r := newRawCA(t, epoch.Add(-time.Hour), epoch.Add(time.Hour))
	c := r.sign(t, deviceTemplate("pk-0001"), &p384(t).PublicKey)
	v, _ := trust.NewVerifier(r.cert, clock.NewFake(epoch.Add(2*time.Hour)))
	if _, err := v.Device(c); !errors.Is(err, trust.ErrExpired) {
		t.Fatalf("err = %v, want ErrExpired", err)
	}
}

func TestVerifyWrongEKU(t *testing.T) {
	r := newRawCA(t, epoch.Add(-time.Hour), epoch.Add(time.Hour*24*365))
	v, _ := trust.NewVerifier(r.cert, clock.NewFake(epoch))
	for name, eku := range map[string][]x509.ExtKeyUsage{
		"clientAuth only (the pion EKU trap)": {x509.ExtKeyUsageClientAuth},
		"serverAuth only":                     {x509.ExtKeyUsageServerAuth},
		"none (any usage)":                    nil,
		"extra codeSigning":                   {x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageCodeSigning},
	} {
		tpl := deviceTemplate("pk-0001")
		tpl.ExtKeyUsage = eku
		c := r.sign(t, tpl, &p384(t).PublicKey)
		if _, err := v.Device(c); !errors.Is(err, trust.ErrWrongEKU) {
			t.Errorf("%s: err = %v, want ErrWrongEKU", name, err)
		}
	}
}

func TestVerifyWrongRole(t *testing.T) {
	clk := clock.NewFake(epoch)
	a, _ := ca.New(clk, "Test CA", 0)
	tech, err := a.IssueTechnician("amina", &p384(t).PublicKey, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A technician certificate is no handset: refused on its usages.
	if _, err := a.Verifier().Device(tech); !errors.Is(err, trust.ErrWrongEKU) {
		t.Errorf("technician as device: %v", err)
	}
	if name, err := a.Verifier().Technician(tech); err != nil || name != "amina" {
		t.Errorf("Technician = %q, %v", name, err)
	}
	dev := enrolled(t, a, "pk-0001")
	if _, err := a.Verifier().Technician(dev); !errors.Is(err, trust.ErrWrongEKU) {
		t.Errorf("device as technician: %v", err)
	}
	// Right usages but the OU of another role.
	r := newRawCA(t, epoch.Add(-time.Hour), epoch.Add(time.Hour*24*365))
	tpl := deviceTemplate("pk-0001")
	tpl.Subject.OrganizationalUnit = []string{"technician"}
	c := r.sign(t, tpl, &p384(t).PublicKey)
	v, _ := trust.NewVerifier(r.cert, clock.NewFake(epoch))
	if _, err := v.Device(c); !errors.Is(err, trust.ErrWrongRole) {
		t.Errorf("OU technician with device usages: %v", err)
	}
	xk := p384(t)
	xc, _ := a.IssueExchange(&xk.PublicKey, []string{"exchange.local"}, 0)
	if err := a.Verifier().Exchange(xc); err != nil {
		t.Errorf("exchange: %v", err)
	}
	if err := a.Verifier().Exchange(dev); !errors.Is(err, trust.ErrWrongEKU) {
		t.Errorf("device as exchange: %v", err)
	}
	pub, _ := a.IssuePublisher("publisher", &p384(t).PublicKey, 0)
	if err := a.Verifier().Verify(pub, trust.RolePublisher, epoch); err != nil {
		t.Errorf("publisher: %v", err)
	}
	if _, err := a.Verifier().Device(pub); !errors.Is(err, trust.ErrWrongEKU) {
		t.Errorf("publisher as device: %v", err)
	}
}

func TestVerifyKeyType(t *testing.T) {
	r := newRawCA(t, epoch.Add(-time.Hour), epoch.Add(time.Hour*24*365))
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	c := r.sign(t, deviceTemplate("pk-0001"), &k.PublicKey)
	v, _ := trust.NewVerifier(r.cert, clock.NewFake(epoch))
	if _, err := v.Device(c); !errors.Is(err, trust.ErrKeyType) {
		t.Fatalf("P-256 leaf: err = %v, want ErrKeyType", err)
	}
}

func TestVerifyBadDeviceID(t *testing.T) {
	r := newRawCA(t, epoch.Add(-time.Hour), epoch.Add(time.Hour*24*365))
	v, _ := trust.NewVerifier(r.cert, clock.NewFake(epoch))
	for _, cn := range []string{"", "PK-0001", "pk 1", "-pk1", "a", "pk‐0001" /* U+2010 */} {
		c := r.sign(t, deviceTemplate(cn), &p384(t).PublicKey)
		if _, err := v.Device(c); !errors.Is(err, trust.ErrBadDeviceID) {
			t.Errorf("CN %q: err = %v, want ErrBadDeviceID", cn, err)
		}
	}
}

func TestRenewalDue(t *testing.T) {
	c := &x509.Certificate{NotBefore: epoch, NotAfter: epoch.Add(30 * 24 * time.Hour)}
	if trust.RenewalDue(c, epoch.Add(19*24*time.Hour)) {
		t.Error("due with 11 of 30 days left")
	}
	if !trust.RenewalDue(c, epoch.Add(21*24*time.Hour)) {
		t.Error("not due with 9 of 30 days left")
	}
}

func TestFingerprintForms(t *testing.T) {
	f := trust.FingerprintOf([]byte("x"))
	for _, s := range []string{f.String(), f.SDP()} {
		g, err := trust.ParseFingerprint(s)
		if err != nil || g != f {
			t.Errorf("ParseFingerprint(%q) = %v, %v", s, g, err)
		}
	}
	if len(f.SDP()) != 95 {
		t.Errorf("SDP form %q", f.SDP())
	}
	for _, bad := range []string{"", "zz", f.String()[:62], f.SDP()[:94] + "::"} {
		if _, err := trust.ParseFingerprint(bad); !errors.Is(err, trust.ErrMalformed) {
			t.Errorf("ParseFingerprint(%q): %v", bad, err)
		}
	}
}

func BenchmarkVerifyDevice(b *testing.B) {
	clk := clock.NewFake(epoch)
	a, _ := ca.New(clk, "Test CA", 0)
	c := enrolled(b, a, "pk-0001")
	v := a.Verifier()
	raw := [][]byte{c.Raw}
	for b.Loop() {
		if _, _, err := v.DeviceRaw(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzDeviceRaw(f *testing.F) {
	clk := clock.NewFake(epoch)
	a, _ := ca.New(clk, "Test CA", 0)
	c := enrolled(f, a, "pk-0001")
	f.Add(c.Raw)
	v := a.Verifier()
	f.Fuzz(func(t *testing.T, der []byte) {
		id, leaf, err := v.DeviceRaw([][]byte{der})
		if err == nil && (!id.Valid() || leaf == nil) {
			t.Fatalf("accepted %q", id)
		}
		if err == nil && string(der) != string(c.Raw) {
			t.Fatal("a certificate the CA never issued verified")
		}
	})
}

// A handset's key cannot mint certificates: a certificate whose issuer is
// an enrolled device (no basicConstraints CA=TRUE) chains to nothing we
// trust, even with the device certificate sent along.
func TestVerifyLeafAsIssuer(t *testing.T) {
	clk := clock.NewFake(epoch)
	a, _ := ca.New(clk, "Test CA", 0)
	key := p384(t)
	der, _ := enroll.NewRequest(key, "pk-0001")
	req, _ := enroll.ParseRequest(der)
	issuer, err := a.IssueDevice(req, 0)
	if err != nil {
		t.Fatal(err)
	}
	forged := (&rawCA{cert: issuer, key: key}).sign(t, deviceTemplate("pk-0002"), &p384(t).PublicKey)
	if _, _, err := a.Verifier().DeviceRaw([][]byte{forged.Raw, issuer.Raw}); !errors.Is(err, trust.ErrWrongCA) {
		t.Fatalf("certificate issued by a device: err = %v, want ErrWrongCA", err)
	}
}

// An anchor must be a CA certificate (basicConstraints CA=TRUE) with a
// P-384 key.
func TestNewVerifierRefusesBadAnchors(t *testing.T) {
	clk := clock.NewFake(epoch)
	a, _ := ca.New(clk, "Test CA", 0)
	noBC := newRawCA(t, epoch, epoch.Add(time.Hour))
	tpl := *noBC.cert
	tpl.BasicConstraintsValid, tpl.IsCA = false, false
	der, err := x509.CreateCertificate(rand.Reader, &tpl, &tpl, noBC.cert.PublicKey, noBC.key)
	if err != nil {
		t.Fatal(err)
	}
	noBCCert, _ := x509.ParseCertificate(der)
	k256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl256 := *noBC.cert
	der, _ = x509.CreateCertificate(rand.Reader, &tpl256, &tpl256, &k256.PublicKey, k256)
	p256, _ := x509.ParseCertificate(der)
	for name, c := range map[string]*x509.Certificate{
		"nil":                    nil,
		"no basicConstraints":    noBCCert,
		"a device certificate":   enrolled(t, a, "pk-0001"),
		"a P-256 CA certificate": p256,
	} {
		if _, err := trust.NewVerifier(c, clk); err == nil {
			t.Errorf("%s accepted as the anchor", name)
		}
	}
}
