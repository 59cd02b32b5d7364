// Package pkitest issues throwaway certificates for the exchange's tests in
// the form package trust checks (ECDSA P-384, role in the subject OU, exact
// EKUs), including the broken ones trust refuses: expired, not yet valid,
// wrong EKU, wrong role, from another CA. Use it only from tests.
package pkitest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"
)

// CA is a test certificate authority.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
	Pool *x509.CertPool
}

func key(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// NewCA makes a self-signed CA valid from an hour ago for a year.
func NewCA(t testing.TB, name string) *CA {
	k := key(t)
	tpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: name, Organization: []string{"Mehfooz"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, MaxPathLenZero: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	p := x509.NewCertPool()
	p.AddCert(c)
	return &CA{Cert: c, Key: k, Pool: p}
}

// Opt changes a certificate template before signing.
type Opt func(*x509.Certificate)

// Expired makes a certificate that ended an hour ago.
func Expired(c *x509.Certificate) {
	c.NotBefore, c.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour)
}

// NotYetValid makes a certificate that starts tomorrow.
func NotYetValid(c *x509.Certificate) {
	c.NotBefore, c.NotAfter = time.Now().Add(24*time.Hour), time.Now().Add(48*time.Hour)
}

// EKU replaces the extended key usages.
func EKU(u ...x509.ExtKeyUsage) Opt { return func(c *x509.Certificate) { c.ExtKeyUsage = u } }

// Role sets the subject OU, which trust reads as the certificate's role.
func Role(ou string) Opt {
	return func(c *x509.Certificate) { c.Subject.OrganizationalUnit = []string{ou} }
}

// Issue signs a leaf for cn with a fresh P-384 key and returns it ready for
// tls.Config. The default is a device certificate: EKU serverAuth and
// clientAuth, valid for a day.
func (ca *CA) Issue(t testing.TB, cn string, opts ...Opt) tls.Certificate {
	k := key(t)
	tpl := &x509.Certificate{
		SerialNumber: serial(), Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{"device"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, o := range opts {
		o(tpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, ca.Cert, &k.PublicKey, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k, Leaf: leaf}
}

// Server issues an exchange certificate for name and the loopback addresses.
func (ca *CA) Server(t testing.TB, name string) tls.Certificate {
	return ca.Issue(t, name, Role("exchange"), func(c *x509.Certificate) {
		c.DNSNames = []string{name}
		c.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	})
}

// Technician issues a technician certificate (clientAuth only).
func (ca *CA) Technician(t testing.TB, name string) tls.Certificate {
	return ca.Issue(t, name, Role("technician"), EKU(x509.ExtKeyUsageClientAuth))
}

// Wrap makes a CA of an existing certificate and key, to mint certificates
// the real CA would refuse to issue (expired, wrong usages).
func Wrap(cert *x509.Certificate, key *ecdsa.PrivateKey) *CA {
	p := x509.NewCertPool()
	p.AddCert(cert)
	return &CA{Cert: cert, Key: key, Pool: p}
}

// At shifts a certificate's validity to start at from and last d.
func At(from time.Time, d time.Duration) Opt {
	return func(c *x509.Certificate) { c.NotBefore, c.NotAfter = from, from.Add(d) }
}
