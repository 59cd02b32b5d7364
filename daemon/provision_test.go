package daemon

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"mehfooz/trust"
	"mehfooz/trust/ca"
	"mehfooz/trust/trusttest"
)

func provisioningJSON(t *testing.T, edit func(m map[string]any)) string {
	t.Helper()
	f := trusttest.New(t)
	m := map[string]any{
		"device_id": "pk-gov-0001",
		"exchange":  "10.0.2.2:7443",
		"ca":        string(ca.EncodeCertificatePEM(f.CA.Certificate())),
		"cellular":  map[string]any{"networks": []any{map[string]any{"plmn": "41001", "apn": "gov.secure"}}},
	}
	if edit != nil {
		edit(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLoadProvisioning(t *testing.T) {
	p, err := LoadProvisioning(strings.NewReader(provisioningJSON(t, nil)), "")
	if err != nil {
		t.Fatal(err)
	}
	if p.DeviceID != "pk-gov-0001" || p.ExchangeName != "10.0.2.2" || p.CACert() == nil || len(p.Cellular) == 0 {
		t.Fatalf("provisioning = %+v", p)
	}
}

func TestLoadProvisioningRefusals(t *testing.T) {
	for name, edit := range map[string]func(m map[string]any){
		"bad device id": func(m map[string]any) { m["device_id"] = "../etc" },
		"no port":       func(m map[string]any) { m["exchange"] = "10.0.2.2" },
		"unknown field": func(m map[string]any) { m["apn"] = "internet" },
		"not a ca":      func(m map[string]any) { m["ca"] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" },
		// A CA the handset's Verifier would refuse must be refused here, or
		// phoned gets past provisioning and then cannot start at all.
		"P-256 ca": func(m map[string]any) { m["ca"] = string(ca.EncodeCertificatePEM(selfSignedCA(t, elliptic.P256()))) },
		"leaf as ca": func(m map[string]any) {
			m["ca"] = string(ca.EncodeCertificatePEM(trusttest.New(t).Enroll("pk-gov-0001").Cert))
		},
	} {
		_, err := LoadProvisioning(strings.NewReader(provisioningJSON(t, edit)), "")
		if !errors.Is(err, ErrProvisioning) {
			t.Errorf("%s: err = %v, want ErrProvisioning", name, err)
		}
	}
	_, err := LoadProvisioning(strings.NewReader(provisioningJSON(t, func(m map[string]any) { m["device_id"] = "bad id" })), "")
	if !errors.Is(err, trust.ErrBadDeviceID) {
		t.Errorf("bad device id: %v", err)
	}
	if _, err := LoadProvisioning(strings.NewReader(provisioningJSON(t, nil)+"{}"), ""); !errors.Is(err, ErrProvisioning) {
		t.Errorf("trailing data: %v", err)
	}
}

// TestFleetProvisioningTakesTheDiskID: one image for the fleet, each
// handset named by its data partition; a handset with neither, or with two
// IDs that disagree, is refused.
func TestFleetProvisioningTakesTheDiskID(t *testing.T) {
	fleet := provisioningJSON(t, func(m map[string]any) { delete(m, "device_id") })
	p, err := LoadProvisioning(strings.NewReader(fleet), "pk-gov-0002")
	if err != nil || p.DeviceID != "pk-gov-0002" {
		t.Fatalf("fleet + disk: %+v, %v", p, err)
	}
	if _, err := LoadProvisioning(strings.NewReader(fleet), ""); !errors.Is(err, ErrNoDeviceID) || !errors.Is(err, ErrProvisioning) {
		t.Errorf("fleet, nothing on disk: %v, want ErrNoDeviceID", err)
	}
	if _, err := LoadProvisioning(strings.NewReader(fleet), "../etc"); !errors.Is(err, trust.ErrBadDeviceID) {
		t.Errorf("fleet, bad disk id: %v", err)
	}
	if p, err := LoadProvisioning(strings.NewReader(provisioningJSON(t, nil)), "pk-gov-0001"); err != nil || p.DeviceID != "pk-gov-0001" {
		t.Errorf("both, agreeing: %+v, %v", p, err)
	}
	if _, err := LoadProvisioning(strings.NewReader(provisioningJSON(t, nil)), "pk-gov-0002"); !errors.Is(err, ErrProvisioning) {
		t.Errorf("both, disagreeing: %v", err)
	}
}

func TestReadDeviceID(t *testing.T) {
	for in, want := range map[string]trust.DeviceID{"pk-gov-0007\n": "pk-gov-0007", "pk-gov-0007": "pk-gov-0007"} {
		if id, err := ReadDeviceID(strings.NewReader(in)); err != nil || id != want {
			t.Errorf("ReadDeviceID(%q) = %q, %v", in, id, err)
		}
	}
	for _, bad := range []string{"", "\n", "pk gov", "pk-gov-0007\n\n", "../etc\n"} {
		if _, err := ReadDeviceID(strings.NewReader(bad)); !errors.Is(err, ErrProvisioning) {
			t.Errorf("ReadDeviceID(%q): %v, want ErrProvisioning", bad, err)
		}
	}
}

func FuzzLoadProvisioning(f *testing.F) {
	f.Add(`{"device_id":"pk-gov-0001","exchange":"h:1","ca":""}`)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := LoadProvisioning(strings.NewReader(s), "")
		if err == nil && (!p.DeviceID.Valid() || p.CACert() == nil) {
			t.Fatalf("accepted %q", s)
		}
	})
}

func selfSignedCA(t *testing.T, curve elliptic.Curve) *x509.Certificate {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other CA"},
		NotBefore: trusttest.Epoch, NotAfter: trusttest.Epoch.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func FuzzReadDeviceID(f *testing.F) {
	f.Add("pk-gov-0001\n")
	f.Add("../etc\n")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ReadDeviceID(strings.NewReader(s))
		if err == nil && !id.Valid() {
			t.Fatalf("accepted %q as %q", s, id)
		}
	})
}
