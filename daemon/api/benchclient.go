package api

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
)

// RequestIDHeader carries a client's request ID; the server echoes it, so a
// client on the bench line can tell its reply from one meant for a client
// that went away before reading it (HTTP/1.1 pairs replies with requests
// only by order, and a serial line has no connections to keep them apart).
const RequestIDHeader = "Mehfooz-Request"

// ErrOutOfStep is returned when the bench line lost a request in bytes left
// by an earlier client; sending the request again works.
var ErrOutOfStep = errors.New("bench line out of step")

// maxBenchBody bounds a reply read on the bench line.
const maxBenchBody = 8 << 20

// benchTransport sends one request at a time over one connection and reads
// replies until the one carrying its request ID, skipping stale ones.
type benchTransport struct {
	dial func(ctx context.Context) (net.Conn, error)

	mu   sync.Mutex // one request at a time
	conn net.Conn
	br   *bufio.Reader
}

func (t *benchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	resp, err := t.roundTripLocked(req)
	if errors.Is(err, ErrOutOfStep) && req.Method == http.MethodGet {
		// A GET changes nothing: send it once more, on a fresh connection.
		resp, err = t.roundTripLocked(req)
	}
	return resp, err
}

func (t *benchTransport) roundTripLocked(req *http.Request) (*http.Response, error) {
	if t.conn == nil {
		c, err := t.dial(req.Context())
		if err != nil {
			return nil, err
		}
		t.conn, t.br = c, bufio.NewReader(c)
	}
	conn := t.conn
	// A cancelled request closes the line's connection, which ends the
	// read below; the next request dials again.
	stop := context.AfterFunc(req.Context(), func() { conn.Close() })
	defer stop()
	resp, err := t.exchange(req)
	if err != nil {
		t.dropLocked()
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, err
	}
	return resp, nil
}

func (t *benchTransport) exchange(req *http.Request) (*http.Response, error) {
	var raw [8]byte
	rand.Read(raw[:])
	id := hex.EncodeToString(raw[:])
	req = req.Clone(req.Context())
	req.Header.Set(RequestIDHeader, id)
	if err := req.Write(t.conn); err != nil {
		return nil, fmt.Errorf("bench line: send: %w", err)
	}
	for skipped := 0; ; skipped++ {
		resp, err := http.ReadResponse(t.br, req)
		if err != nil {
			return nil, fmt.Errorf("bench line: read reply: %w", err)
		}
		if resp.Header.Get(RequestIDHeader) != id && resp.ContentLength < 0 {
			// The server's own refusal of a garbled request (400 and the
			// like): no ID and no length, its body runs to a close that a
			// serial line never makes. Our request went into that garble.
			resp.Body.Close()
			return nil, fmt.Errorf("%w: the line carried a garbled request (%s); send again", ErrOutOfStep, resp.Status)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxBenchBody+1))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("bench line: read reply: %w", err)
		}
		if len(body) > maxBenchBody {
			return nil, errors.New("bench line: reply too large")
		}
		if resp.Header.Get(RequestIDHeader) != id {
			if skipped >= 16 {
				return nil, errors.New("bench line: no reply to this request among 16")
			}
			continue // a reply to a request whose client went away
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return resp, nil
	}
}

func (t *benchTransport) dropLocked() {
	if t.conn != nil {
		t.conn.Close()
		t.conn, t.br = nil, nil
	}
}

// CloseIdleConnections hangs up (http.Client.CloseIdleConnections calls it).
func (t *benchTransport) CloseIdleConnections() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.dropLocked()
}
