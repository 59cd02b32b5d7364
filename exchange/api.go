package exchange

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"mehfooz/exchange/admin"
	"mehfooz/exchange/store"
	"mehfooz/exchange/wire"
	"mehfooz/trust"
)

// adminServer serves the technician API (package admin documents it).
func (x *Exchange) adminServer(ctx context.Context) *http.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+admin.PathDevices, x.tech(x.apiEnroll))
	mux.HandleFunc("GET "+admin.PathDirectory, x.tech(x.apiGetBundle(store.Directory)))
	mux.HandleFunc("POST "+admin.PathDirectory, x.tech(x.apiPublish(x.PublishDirectory)))
	mux.HandleFunc("GET "+admin.PathRevocations, x.tech(x.apiGetBundle(store.Revocations)))
	mux.HandleFunc("POST "+admin.PathRevocations, x.tech(x.apiPublish(x.PublishRevocations)))
	mux.HandleFunc("POST "+admin.PathWipes, x.tech(x.apiWipe))
	mux.HandleFunc("GET "+admin.PathFleet, x.tech(x.apiFleet))
	mux.HandleFunc("GET "+admin.PathAudit, x.tech(x.apiAudit))
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		MaxHeaderBytes:    16 << 10,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(x.log.Handler(), slog.LevelDebug),
	}
}

// techHandler is an API handler for an admitted technician.
type techHandler func(w http.ResponseWriter, r *http.Request, name string, cert *x509.Certificate)

// tech admits the technician by certificate, with the exchange's clock and
// the trust layer's reasons, before the handler runs.
func (x *Exchange) tech(h techHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			apiError(w, http.StatusForbidden, wire.CodeUnenrolled, "a technician certificate is required")
			return
		}
		cert := r.TLS.PeerCertificates[0]
		name, err := x.cfg.Verifier.Technician(cert)
		if err != nil {
			code := codeOf(err)
			x.audit.refused(cert.Subject.CommonName, code, "technician API: "+err.Error(), r.RemoteAddr)
			apiError(w, http.StatusForbidden, code, err.Error())
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, admin.MaxBody)
		h(w, r, name, cert)
	}
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(&admin.Error{Code: code, Message: msg})
}

func apiJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

// apiFail maps an operation's error to a status and code.
func apiFail(w http.ResponseWriter, err error) {
	status, code := http.StatusBadRequest, codeOf(err)
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		status, code = http.StatusRequestEntityTooLarge, admin.CodeBadRequest
	case errors.Is(err, trust.ErrRollback):
		status, code = http.StatusConflict, admin.CodeRollback
	case errors.Is(err, trust.ErrBadSignature), errors.Is(err, wire.ErrWipeSignature), errors.Is(err, wire.ErrWipeKey):
		code = admin.CodeBadSignature
	case errors.Is(err, trust.ErrMalformed), errors.Is(err, wire.ErrField), errors.Is(err, wire.ErrShort),
		errors.Is(err, wire.ErrTrailing), errors.Is(err, wire.ErrVersion), errors.Is(err, wire.ErrTooLarge):
		code = admin.CodeBadRequest
	case errors.Is(err, ErrNotEnrolled):
		status, code = http.StatusNotFound, admin.CodeNotFound
	case errors.Is(err, ErrWrongTechnician):
		status, code = http.StatusForbidden, admin.CodeForbidden
	case code == wire.CodeInternal:
		status = http.StatusInternalServerError
	}
	apiError(w, status, code, err.Error())
}

func (x *Exchange) apiEnroll(w http.ResponseWriter, r *http.Request, name string, _ *x509.Certificate) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		apiFail(w, err)
		return
	}
	blk, rest := pem.Decode(body)
	if blk == nil || blk.Type != "CERTIFICATE" || len(rest) != 0 && len(trimSpace(rest)) != 0 {
		apiError(w, http.StatusBadRequest, admin.CodeBadRequest, "body must be one PEM CERTIFICATE block")
		return
	}
	cert, err := trust.ParseLeaf([][]byte{blk.Bytes})
	if err != nil {
		apiFail(w, err)
		return
	}
	id, err := x.Enroll(cert, name)
	if err != nil {
		apiFail(w, err)
		return
	}
	apiJSON(w, &admin.Enrolled{Device: string(id), Fingerprint: trust.FingerprintOf(cert.Raw).String()})
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

func (x *Exchange) apiGetBundle(name string) techHandler {
	return func(w http.ResponseWriter, r *http.Request, _ string, _ *x509.Certificate) {
		_, raw, err := x.cfg.Store.Bundle(name)
		if errors.Is(err, store.ErrNotFound) {
			apiError(w, http.StatusNotFound, admin.CodeNotFound, "no "+name+" published yet")
			return
		}
		if err != nil {
			apiError(w, http.StatusInternalServerError, wire.CodeInternal, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(raw)
	}
}

func (x *Exchange) apiPublish(publish func([]byte, string) (uint64, error)) techHandler {
	return func(w http.ResponseWriter, r *http.Request, name string, _ *x509.Certificate) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			apiFail(w, err)
			return
		}
		v, err := publish(body, name)
		if err != nil {
			apiFail(w, err)
			return
		}
		apiJSON(w, &admin.Published{Version: v})
	}
}

func (x *Exchange) apiWipe(w http.ResponseWriter, r *http.Request, name string, cert *x509.Certificate) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		apiFail(w, err)
		return
	}
	o, delivered, err := x.QueueWipe(body, cert, name)
	if err != nil {
		apiFail(w, err)
		return
	}
	apiJSON(w, &admin.WipeQueued{Device: o.Device, Order: o.ID.String(), Delivered: delivered})
}

func (x *Exchange) apiFleet(w http.ResponseWriter, r *http.Request, _ string, _ *x509.Certificate) {
	apiJSON(w, x.Status())
}

func (x *Exchange) apiAudit(w http.ResponseWriter, r *http.Request, _ string, _ *x509.Certificate) {
	q := r.URL.Query()
	after, err1 := strconv.ParseUint(q.Get("after"), 10, 64)
	limit, err2 := strconv.Atoi(q.Get("limit"))
	if q.Get("after") == "" {
		after, err1 = 0, nil
	}
	if q.Get("limit") == "" {
		limit, err2 = 100, nil
	}
	if err1 != nil || err2 != nil || limit < 1 || limit > 10000 {
		apiError(w, http.StatusBadRequest, admin.CodeBadRequest, fmt.Sprintf("after=%q limit=%q: want a sequence number and 1..10000", q.Get("after"), q.Get("limit")))
		return
	}
	ev, err := x.cfg.Store.Events(after, limit)
	if err != nil {
		apiError(w, http.StatusInternalServerError, wire.CodeInternal, err.Error())
		return
	}
	if ev == nil {
		ev = []store.Event{}
	}
	apiJSON(w, &admin.Audit{Events: ev})
}
