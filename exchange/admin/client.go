package admin

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
)

// Client calls the technician API of one exchange.
type Client struct {
	base string
	http *http.Client
}

// Dial returns a client for the exchange at addr (host:port). cert is the
// technician's certificate and key, roots the enrollment CA; serverName is
// the name in the exchange's certificate (default: the host of addr).
func Dial(addr string, cert tls.Certificate, roots *x509.CertPool, serverName string) (*Client, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("admin: exchange address %q: %w", addr, err)
	}
	if serverName == "" {
		serverName = host
	}
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS13,
		RootCAs:      roots,
		ServerName:   serverName,
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"http/1.1"},
	}
	tr := &http.Transport{TLSClientConfig: cfg, ForceAttemptHTTP2: false, DisableKeepAlives: true}
	return &Client{base: "https://" + addr, http: &http.Client{Transport: tr}}, nil
}

// Close releases the client's connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

func (c *Client) do(ctx context.Context, method, path string, body []byte, ctype string, out any) ([]byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return nil, fmt.Errorf("admin: %s %s: %w", method, path, err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("admin: %s %s: read answer: %w", method, path, err)
	}
	if len(b) > MaxBody {
		return nil, fmt.Errorf("admin: %s %s: answer over %d bytes", method, path, MaxBody)
	}
	if resp.StatusCode != http.StatusOK {
		e := &Error{Status: resp.StatusCode}
		if json.Unmarshal(b, e) != nil || e.Code == "" {
			e.Code, e.Message = "http", fmt.Sprintf("%s: %q", resp.Status, b)
		}
		return nil, e
	}
	if out != nil {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(out); err != nil {
			return nil, fmt.Errorf("admin: %s %s: decode answer: %w", method, path, err)
		}
	}
	return b, nil
}

const octets = "application/octet-stream"

// Enroll registers a device certificate with the exchange.
func (c *Client) Enroll(ctx context.Context, cert *x509.Certificate) (*Enrolled, error) {
	var out Enrolled
	body := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	if _, err := c.do(ctx, http.MethodPost, PathDevices, body, "application/x-pem-file", &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Directory fetches the current signed directory bundle.
func (c *Client) Directory(ctx context.Context) ([]byte, error) {
	return c.do(ctx, http.MethodGet, PathDirectory, nil, "", nil)
}

// PublishDirectory uploads a signed directory bundle.
func (c *Client) PublishDirectory(ctx context.Context, signed []byte) (*Published, error) {
	var out Published
	if _, err := c.do(ctx, http.MethodPost, PathDirectory, signed, octets, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Revocations fetches the current signed revocation list.
func (c *Client) Revocations(ctx context.Context) ([]byte, error) {
	return c.do(ctx, http.MethodGet, PathRevocations, nil, "", nil)
}

// PublishRevocations uploads a signed revocation list.
func (c *Client) PublishRevocations(ctx context.Context, signed []byte) (*Published, error) {
	var out Published
	if _, err := c.do(ctx, http.MethodPost, PathRevocations, signed, octets, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Wipe queues a signed wipe order (see wire.WipeOrder).
func (c *Client) Wipe(ctx context.Context, order []byte) (*WipeQueued, error) {
	var out WipeQueued
	if _, err := c.do(ctx, http.MethodPost, PathWipes, order, octets, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Fleet fetches fleet status.
func (c *Client) Fleet(ctx context.Context) (*Fleet, error) {
	var out Fleet
	if _, err := c.do(ctx, http.MethodGet, PathFleet, nil, "", &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Audit fetches up to limit audit events after sequence number after.
func (c *Client) Audit(ctx context.Context, after uint64, limit int) (*Audit, error) {
	var out Audit
	q := url.Values{"after": {strconv.FormatUint(after, 10)}, "limit": {strconv.Itoa(limit)}}
	if _, err := c.do(ctx, http.MethodGet, PathAudit+"?"+q.Encode(), nil, "", &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// IsCode reports whether err is a refusal with the given code.
func IsCode(err error, code string) bool {
	var e *Error
	return errors.As(err, &e) && e.Code == code
}
