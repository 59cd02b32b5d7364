package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"

	"mehfooz/daemon/state"
)

// Client talks to a running phoned. It takes a dial function, so the caller
// (cmd/phonectl) decides which socket to open.
type Client struct {
	http *http.Client
}

// NewClient returns a Client that reaches the daemon through dial.
func NewClient(dial func(ctx context.Context) (net.Conn, error)) *Client {
	tr := &http.Transport{
		DialContext:       func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
		DisableKeepAlives: true,
	}
	return &Client{http: &http.Client{Transport: tr}}
}

// NewBenchClient returns a Client for the bench line (board.Bench), where
// dial reaches one byte stream rather than a listening socket. Requests go
// one at a time over one connection, kept open between them (a request
// that closed it would end the daemon's connection over the stream after
// every reply), and each carries an ID the reply must echo: a reply left on
// the line for a client that went away is skipped, never taken for ours.
func NewBenchClient(dial func(ctx context.Context) (net.Conn, error)) *Client {
	return &Client{http: &http.Client{Transport: &benchTransport{dial: dial}}}
}

// Close drops the Client's idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// State returns the daemon's current Snapshot.
func (c *Client) State(ctx context.Context) (state.Snapshot, error) {
	var s state.Snapshot
	resp, err := c.do(ctx, http.MethodGet, "/v1/state", nil)
	if err != nil {
		return s, fmt.Errorf("api: state: %w", err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&s); err != nil {
		return s, fmt.Errorf("api: state: decode: %w", err)
	}
	return s, nil
}

// Watch calls f with the current Snapshot and then every change until f
// returns false, ctx ends, or the daemon goes away.
func (c *Client) Watch(ctx context.Context, f func(state.Snapshot) bool) error {
	resp, err := c.do(ctx, http.MethodGet, "/v1/watch", nil)
	if err != nil {
		return fmt.Errorf("api: watch: %w", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var s state.Snapshot
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return fmt.Errorf("api: watch: decode: %w", err)
		}
		if !f(s) {
			return nil
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("api: watch: %w", err)
	}
	return ctx.Err()
}

// Intent sends one Intent and wipes its secret fields afterwards.
func (c *Client) Intent(ctx context.Context, in state.Intent) error {
	defer in.Wipe()
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("api: intent: %w", err)
	}
	resp, err := c.do(ctx, http.MethodPost, "/v1/intent", body)
	clear(body)
	if err != nil {
		return fmt.Errorf("api: intent %s: %w", in.Kind, err)
	}
	resp.Body.Close()
	return nil
}

// Screenshot returns the daemon's screen as PNG.
func (c *Client) Screenshot(ctx context.Context) ([]byte, error) {
	resp, err := c.do(ctx, http.MethodGet, "/v1/screenshot", nil)
	if err != nil {
		return nil, fmt.Errorf("api: screenshot: %w", err)
	}
	defer resp.Body.Close()
	png, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("api: screenshot: %w", err)
	}
	return png, nil
}

// EnrollRequest returns the handset's PEM certificate request.
func (c *Client) EnrollRequest(ctx context.Context) ([]byte, error) {
	resp, err := c.do(ctx, http.MethodGet, "/v1/enroll/request", nil)
	if err != nil {
		return nil, fmt.Errorf("api: enroll request: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("api: enroll request: %w", err)
	}
	return b, nil
}

// InstallCertificate sends the PEM certificate issued for the handset.
func (c *Client) InstallCertificate(ctx context.Context, pem []byte) error {
	resp, err := c.do(ctx, http.MethodPost, "/v1/enroll/certificate", pem)
	if err != nil {
		return fmt.Errorf("api: install certificate: %w", err)
	}
	resp.Body.Close()
	return nil
}

// do sends a request and turns a non-2xx status into an error carrying the
// daemon's reason; 409 wraps ErrRejected and 404 on a screenshot ErrNoScreen.
func (c *Client) do(ctx context.Context, method, path string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://phoned"+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	reason := strings.TrimSpace(string(msg))
	switch resp.StatusCode {
	case http.StatusConflict:
		return nil, fmt.Errorf("%w: %s", ErrRejected, reason)
	case http.StatusNotFound:
		if path == "/v1/screenshot" {
			return nil, fmt.Errorf("%w: %s", ErrNoScreen, reason)
		}
	}
	return nil, errors.New(reason)
}
