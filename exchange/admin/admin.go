// Package admin is the exchange's technician API: its messages and a client
// for them. The API is HTTP/1.1 over mutual TLS 1.3 on its own listener; the
// technician authenticates with a technician certificate from the
// enrollment CA (its key may live in a token: only crypto.Signer is used).
//
//	POST /v1/devices       PEM device certificate   -> Enrolled
//	GET  /v1/directory                              -> signed directory bundle
//	POST /v1/directory     signed directory bundle  -> Published
//	GET  /v1/revocations                            -> signed revocation list
//	POST /v1/revocations   signed revocation list   -> Published
//	POST /v1/wipes         signed wipe order        -> WipeQueued
//	GET  /v1/fleet                                  -> Fleet
//	GET  /v1/audit?after=N&limit=M                  -> Audit
//
// Bundles and orders travel as application/octet-stream; everything else is
// JSON. A refusal is an HTTP error status with an Error body whose Code is
// one of the exchange's codes (see package wire) or one of this package's.
package admin

import (
	"time"

	"mehfooz/exchange/store"
)

// API paths.
const (
	PathDevices     = "/v1/devices"
	PathDirectory   = "/v1/directory"
	PathRevocations = "/v1/revocations"
	PathWipes       = "/v1/wipes"
	PathFleet       = "/v1/fleet"
	PathAudit       = "/v1/audit"
)

// MaxBody caps a request body (a directory bundle of the largest fleet).
const MaxBody = 5 << 20

// Codes of refusals particular to the technician API.
const (
	CodeRollback     = "rollback"      // bundle not newer than the current one
	CodeBadSignature = "bad-signature" // bundle or order does not verify
	CodeBadRequest   = "bad-request"   // malformed body or parameters
	CodeNotFound     = "not-found"     // nothing published yet, or no such device
	CodeForbidden    = "forbidden"     // wipe order signed by someone else
)

// Error is the body of a refusal.
type Error struct {
	// Status is the HTTP status (filled in by the client).
	Status int    `json:"-"`
	Code   string `json:"code"`
	// Message explains the refusal for people.
	Message string `json:"error"`
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Enrolled answers an enrollment.
type Enrolled struct {
	Device      string `json:"device"`
	Fingerprint string `json:"fingerprint"`
}

// Published answers a bundle publication.
type Published struct {
	Version uint64 `json:"version"`
}

// WipeQueued answers a wipe order.
type WipeQueued struct {
	Device string `json:"device"`
	Order  string `json:"order"`
	// Delivered says the handset was online and has the order already.
	Delivered bool `json:"delivered"`
}

// Device is one enrolled device in fleet status.
type Device struct {
	ID     string `json:"id"`
	Online bool   `json:"online"`
	// Since is when the current connection was admitted.
	Since time.Time `json:"since,omitzero"`
	// LastSeen is when the last connection ended. The exchange keeps it in
	// memory only, so a restart forgets it.
	LastSeen time.Time `json:"last_seen,omitzero"`
	// Group is the TLS key exchange of the current connection, e.g.
	// "SecP384r1MLKEM1024".
	Group    string `json:"group,omitempty"`
	Software string `json:"software,omitempty"`
	// Listed says whether the current directory lists the device with its
	// enrolled certificate.
	Listed bool `json:"listed"`
	// Revoked says why the device is refused, if it is revoked or blocked.
	Revoked     string `json:"revoked,omitempty"`
	WipePending bool   `json:"wipe_pending"`
}

// Fleet is the fleet status.
type Fleet struct {
	Time        time.Time `json:"time"`
	Directory   uint64    `json:"directory"`
	Revocations uint64    `json:"revocations"`
	Devices     []Device  `json:"devices"`
	// OpenCalls is a count only: the exchange keeps no call records.
	OpenCalls int `json:"open_calls"`
}

// Event is one audit log entry.
type Event = store.Event

// Audit is a page of the audit log, oldest first.
type Audit struct {
	Events []Event `json:"events"`
}
