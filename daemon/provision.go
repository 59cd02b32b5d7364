package daemon

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"

	"mehfooz/trust"
	"mehfooz/trust/ca"
)

// Provisioning is what a technician writes onto a handset before it leaves
// the bench: who it is, where its exchange is, the enrollment CA it trusts,
// and its cellular provisioning (the operators' private APNs). It holds no
// secret: the device key is made on the handset and never leaves it.
type Provisioning struct {
	DeviceID trust.DeviceID `json:"device_id"`
	// Exchange is host:port of the exchange; ExchangeName is the name in
	// its certificate (default: the host).
	Exchange     string `json:"exchange"`
	ExchangeName string `json:"exchange_name,omitempty"`
	// CA is the enrollment CA certificate, PEM.
	CA string `json:"ca"`
	// Cellular is the modem policy (modem/policy.Config), kept raw here and
	// decoded strictly by the modem package.
	Cellular json.RawMessage `json:"cellular,omitempty"`

	caCert *x509.Certificate
}

// ErrProvisioning is wrapped by every provisioning error.
var ErrProvisioning = errors.New("provisioning")

// LoadProvisioning reads a provisioning file strictly: unknown fields,
// trailing data, a malformed device ID, address or CA are errors.
func LoadProvisioning(r io.Reader) (*Provisioning, error) {
	var p Provisioning
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProvisioning, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the object", ErrProvisioning)
	}
	if !p.DeviceID.Valid() {
		return nil, fmt.Errorf("%w: device_id %q: %w", ErrProvisioning, p.DeviceID, trust.ErrBadDeviceID)
	}
	host, port, err := net.SplitHostPort(p.Exchange)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("%w: exchange %q: want host:port", ErrProvisioning, p.Exchange)
	}
	if p.ExchangeName == "" {
		p.ExchangeName = host
	}
	c, err := ca.ParseCertificatePEM([]byte(p.CA))
	if err != nil {
		return nil, fmt.Errorf("%w: ca: %w", ErrProvisioning, err)
	}
	if err := trust.CheckAnchor(c); err != nil {
		return nil, fmt.Errorf("%w: ca: %w", ErrProvisioning, err)
	}
	p.caCert = c
	if len(bytes.TrimSpace(p.Cellular)) == 0 {
		p.Cellular = nil
	}
	return &p, nil
}

// CACert is the parsed enrollment CA.
func (p *Provisioning) CACert() *x509.Certificate { return p.caCert }
