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
	// DeviceID is empty in a fleet image's provisioning, which every
	// handset shares: each handset then takes its ID from its data
	// partition, written when the technician flashed it (DeviceIDFile).
	DeviceID trust.DeviceID `json:"device_id,omitempty"`
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

// ErrNoDeviceID is wrapped when neither the provisioning file nor the data
// partition names the handset: a fleet image on a handset flashed without
// a device ID.
var ErrNoDeviceID = errors.New("no device ID")

// DeviceIDFile is the file in the handset's data folder that holds its
// device ID (one line) when the image's provisioning is fleet-wide.
const DeviceIDFile = "device-id"

// LoadProvisioning reads a provisioning file strictly: unknown fields,
// trailing data, a malformed device ID, address or CA are errors. local is
// the device ID the handset's data partition holds, or empty: it names the
// handset when the file does not, and must agree with it when both do.
func LoadProvisioning(r io.Reader, local trust.DeviceID) (*Provisioning, error) {
	var p Provisioning
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrProvisioning, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: data after the object", ErrProvisioning)
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
	switch {
	case p.DeviceID == "" && local == "":
		return nil, fmt.Errorf("%w: %w: the provisioning is fleet-wide and the data partition holds no %s", ErrProvisioning, ErrNoDeviceID, DeviceIDFile)
	case p.DeviceID == "":
		p.DeviceID = local
	case local != "" && local != p.DeviceID:
		return nil, fmt.Errorf("%w: device_id %q, but the data partition says %q", ErrProvisioning, p.DeviceID, local)
	}
	if !p.DeviceID.Valid() {
		return nil, fmt.Errorf("%w: device_id %q: %w", ErrProvisioning, p.DeviceID, trust.ErrBadDeviceID)
	}
	return &p, nil
}

// ReadDeviceID reads a DeviceIDFile: one device ID, then optionally a
// newline. A missing file is no error (an empty ID); a malformed one is.
func ReadDeviceID(r io.Reader) (trust.DeviceID, error) {
	b, err := io.ReadAll(io.LimitReader(r, 256))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", DeviceIDFile, err)
	}
	id := trust.DeviceID(bytes.TrimSuffix(b, []byte("\n")))
	if !id.Valid() {
		return "", fmt.Errorf("%w: %s %q: %w", ErrProvisioning, DeviceIDFile, id, trust.ErrBadDeviceID)
	}
	return id, nil
}

// CACert is the parsed enrollment CA.
func (p *Provisioning) CACert() *x509.Certificate { return p.caCert }
