// Package api is phoned's local API: HTTP over a unix socket that only the
// daemon's own user (root on the handset) may use. It serves the typed state
// stream of package state (the current Snapshot, or a stream of them as
// newline-delimited JSON), accepts Intents, and returns a screenshot of the
// screen. It never listens on a network port: the handset has none.
//
// Routes:
//
//	GET  /v1/state       the current Snapshot
//	GET  /v1/watch       the current Snapshot, then every change, one JSON object per line
//	POST /v1/intent      one Intent; 204 on success, 4xx/5xx with a plain-text reason
//	GET  /v1/screenshot  the screen as PNG
//	GET  /v1/enroll/request      the handset's certificate request (PEM), for phonectl enroll
//	POST /v1/enroll/certificate  the certificate the technician issued (PEM)
//
// The same API, cut down to the state, the two enrollment routes and the
// set-sim-pin intent, is
// served on the technician's bench line (board.Bench) by NewBenchServer
// over one serial byte stream (StreamListener).
package api

import (
	"context"
	"errors"

	"mehfooz/daemon/state"
)

// Backend is what the daemon gives the API.
type Backend interface {
	// Subscribe yields the current Snapshot and then every change; cancel ends it.
	Subscribe() (<-chan state.Snapshot, func())
	// Intent carries out one request. It returns an error wrapping
	// ErrRejected for a request that is well formed but refused in the
	// current state (dial while in a call, unlock when unlocked, ...).
	Intent(ctx context.Context, in state.Intent) error
	// Screenshot returns the current screen as PNG.
	Screenshot(ctx context.Context) ([]byte, error)
	// EnrollRequest returns the handset's PEM certificate request.
	EnrollRequest(ctx context.Context) ([]byte, error)
	// InstallCertificate stores the PEM certificate issued for the request;
	// a wrong one is refused with an error wrapping ErrRejected.
	InstallCertificate(ctx context.Context, pem []byte) error
}

// ErrRejected marks an intent the daemon refused in its current state.
var ErrRejected = errors.New("rejected")

// ErrNoScreen is returned by Screenshot on a daemon that draws no UI.
var ErrNoScreen = errors.New("no screen")

// maxIntentBytes caps a request body. An Intent is a few short fields.
const maxIntentBytes = 4 << 10

// maxCertificateBytes caps an uploaded PEM certificate; ours are under 1 KiB.
const maxCertificateBytes = 16 << 10
