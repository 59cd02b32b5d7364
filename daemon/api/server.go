package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"mehfooz/daemon/state"
)

// Server serves the local API for one Backend.
type Server struct {
	backend Backend
	log     *slog.Logger
	// allow decides whether a connecting peer may use the API; see PeerUID.
	allow func(net.Conn) error
	// bench restricts the routes to those of the bench line (board.Bench).
	bench bool
}

// NewServer returns a Server. allow is called on every new connection and
// may refuse it; nil allows every peer (tests over a pipe).
func NewServer(b Backend, log *slog.Logger, allow func(net.Conn) error) *Server {
	return &Server{backend: b, log: log, allow: allow}
}

// NewBenchServer returns a Server for the technician's bench line: the
// state as BenchView shows it, the certificate request, installing the
// certificate, and one
// intent, storing the SIM PIN (which needs the handset unlocked by its
// owner). Every other intent answers 403 and the other routes (watch,
// screenshot) 404, so a cable on the bench port can neither place a call
// nor unlock.
func NewBenchServer(b Backend, log *slog.Logger) *Server {
	return &Server{backend: b, log: log, bench: true}
}

// Serve accepts connections on ln until ctx is cancelled, then closes ln,
// ends open watches and waits for every handler to return.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/state", s.getState)
	mux.HandleFunc("GET /v1/enroll/request", s.enrollRequest)
	mux.HandleFunc("POST /v1/enroll/certificate", s.installCertificate)
	mux.HandleFunc("POST /v1/intent", s.postIntent)
	if !s.bench {
		mux.HandleFunc("GET /v1/watch", s.watch)
		mux.HandleFunc("GET /v1/screenshot", s.screenshot)
	}
	// A unix socket's peer that sends half a request is dropped after 5 s;
	// the bench line has no peers to drop, only a next request to wait for.
	headerTimeout := 5 * time.Second
	if s.bench {
		headerTimeout = 0
	}
	// Every reply echoes the request's ID (see RequestIDHeader).
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get(RequestIDHeader); id != "" && len(id) <= 64 {
			w.Header().Set(RequestIDHeader, id)
		}
		mux.ServeHTTP(w, r)
	})
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: headerTimeout,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	// Shut down when ctx ends, or when Serve ends on its own (the bench
	// line's stream ended): then the caller gets the error and restarts.
	served := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
		case <-served:
		}
		shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutdown); err != nil {
			srv.Close()
		}
	}()
	err := srv.Serve(&guardedListener{Listener: ln, allow: s.allow, log: s.log})
	close(served)
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("api: serve: %w", err)
}

func (s *Server) getState(w http.ResponseWriter, r *http.Request) {
	ch, cancel := s.backend.Subscribe()
	defer cancel()
	snap, ok := <-ch
	if !ok {
		http.Error(w, "daemon stopping", http.StatusServiceUnavailable)
		return
	}
	if s.bench {
		snap = BenchView(snap)
	}
	writeJSON(w, snap)
}

func (s *Server) watch(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	ch, cancel := s.backend.Subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "application/x-ndjson")
	enc := json.NewEncoder(w)
	for {
		select {
		case <-r.Context().Done():
			return
		case snap, ok := <-ch:
			if !ok {
				return
			}
			if err := enc.Encode(snap); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

func (s *Server) postIntent(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxIntentBytes))
	if err != nil {
		http.Error(w, "intent too large", http.StatusRequestEntityTooLarge)
		return
	}
	in, err := DecodeIntent(body)
	clear(body) // may hold a PIN
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	defer in.Wipe()
	if s.bench && in.Kind != state.IntentSetSIMPIN {
		http.Error(w, fmt.Sprintf("%s is not taken on the bench line", in.Kind), http.StatusForbidden)
		return
	}
	if err := s.backend.Intent(r.Context(), in); err != nil {
		writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) screenshot(w http.ResponseWriter, r *http.Request) {
	png, err := s.backend.Screenshot(r.Context())
	if err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, ErrNoScreen) {
			code = http.StatusNotFound
		}
		http.Error(w, err.Error(), code)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(png)
}

func (s *Server) enrollRequest(w http.ResponseWriter, r *http.Request) {
	req, err := s.backend.EnrollRequest(r.Context())
	if err != nil {
		writeErr(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	w.Write(req)
}

func (s *Server) installCertificate(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCertificateBytes))
	if err != nil {
		http.Error(w, "certificate too large", http.StatusRequestEntityTooLarge)
		return
	}
	if err := s.backend.InstallCertificate(r.Context(), body); err != nil {
		writeErr(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// writeErr maps a backend error to a status: 409 for a refusal in the
// current state, 500 otherwise. The text names the reason, never a secret.
func writeErr(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	if errors.Is(err, ErrRejected) {
		code = http.StatusConflict
	}
	http.Error(w, err.Error(), code)
}

func writeJSON(w http.ResponseWriter, v any) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(buf.Bytes())
}

// guardedListener refuses connections from peers the allow func rejects.
type guardedListener struct {
	net.Listener
	allow func(net.Conn) error
	log   *slog.Logger
}

func (l *guardedListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || l.allow == nil {
			return c, err
		}
		if err := l.allow(c); err != nil {
			l.log.Warn("local api: refused peer", "err", err)
			c.Close()
			continue
		}
		return c, nil
	}
}
