package voice

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"sync"

	"mehfooz/voice/internal/wipe"
)

// dtlsBinding obtains a value bound to this call's DTLS session without a
// fork of pion. pion/webrtc keeps its DTLS connection unexported, so the RFC
// 5705 exporter is out of reach. What it does expose, one API
// per call, is the key-log hook (SettingEngine.SetDTLSKeyLogWriter), through
// which pion/dtls writes the NSS key-log line
//
//	CLIENT_RANDOM <client random, hex> <master secret, hex>
//
// once per handshake on each side. With the extended master secret required
// (RFC 7627), that master secret is a function of the hash of the whole
// handshake: both certificates, both ECDHE shares, both randoms. We read the
// line, derive
//
//	binding = HKDF-SHA-384(secret = master secret, salt = client random,
//	                       info = "mehfooz/v1 dtls binding", 48 bytes)
//
// and erase our copies of the master secret at once. The binding is equal on
// both handsets exactly when they share one DTLS session, and it reveals
// nothing of the master secret. The master secret never leaves the process;
// pion itself keeps it for the life of the connection in any case.
type dtlsBinding struct {
	mu      sync.Mutex
	value   []byte // nil until the handshake has logged
	random  []byte
	invalid bool // a second, different line: refuse to bind at all
}

const bindingLabel = "mehfooz/v1 dtls binding"

var errNoBinding = errors.New("no DTLS session binding")

// Write receives key-log lines from pion/dtls. It never fails, so the
// handshake never does because of it.
func (b *dtlsBinding) Write(p []byte) (int, error) {
	line := bytes.TrimSpace(p)
	fields := bytes.Fields(line)
	if len(fields) != 3 || string(fields[0]) != "CLIENT_RANDOM" {
		return len(p), nil
	}
	random := make([]byte, hex.DecodedLen(len(fields[1])))
	secret := make([]byte, hex.DecodedLen(len(fields[2])))
	defer wipe.Bytes(secret)
	if _, err := hex.Decode(random, fields[1]); err != nil || len(random) != 32 {
		return len(p), nil
	}
	if _, err := hex.Decode(secret, fields[2]); err != nil || len(secret) != 48 {
		return len(p), nil
	}
	value, err := hkdf.Key(sha512.New384, secret, random, bindingLabel, sha512.Size384)
	if err != nil {
		return len(p), nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.value == nil && !b.invalid:
		b.value, b.random = value, random
	case subtle.ConstantTimeCompare(b.value, value) != 1:
		// Two sessions in one call: no ICE restart redoes DTLS, so this is
		// not ours to explain. Bind to neither.
		b.invalid = true
		wipe.Bytes(b.value, value)
	default:
		wipe.Bytes(value)
	}
	return len(p), nil
}

// get returns a copy of the binding for the key schedule.
func (b *dtlsBinding) get() ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.value == nil || b.invalid {
		return nil, errNoBinding
	}
	return bytes.Clone(b.value), nil
}

func (b *dtlsBinding) erase() {
	b.mu.Lock()
	defer b.mu.Unlock()
	wipe.Bytes(b.value)
}
