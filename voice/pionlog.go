package voice

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/pion/logging"
)

// pionLog routes pion's logging into the call's slog.Logger and keeps the
// warnings and errors, because the only place pion reports why a DTLS
// handshake failed (no common SRTP profile, a certificate from another CA, a
// fingerprint mismatch) is its log: the call turns that text into the
// security check it names. Trace and debug output is dropped unformatted.
type pionLog struct {
	log *slog.Logger

	mu       sync.Mutex
	failures []string // warnings and errors, oldest first, capped
}

const maxPionFailures = 32

func (f *pionLog) NewLogger(scope string) logging.LeveledLogger {
	return &pionScope{f: f, scope: scope}
}

func (f *pionLog) record(scope, msg string) {
	f.log.Warn("pion", "scope", scope, "msg", msg)
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.failures) < maxPionFailures {
		f.failures = append(f.failures, scope+": "+msg)
	}
}

// lines returns what pion warned about so far.
func (f *pionLog) lines() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.failures...)
}

type pionScope struct {
	f     *pionLog
	scope string
}

func (*pionScope) Trace(string)          {}
func (*pionScope) Tracef(string, ...any) {}
func (*pionScope) Debug(string)          {}
func (*pionScope) Debugf(string, ...any) {}
func (s *pionScope) Info(msg string)     { s.f.log.Debug("pion", "scope", s.scope, "msg", msg) }
func (s *pionScope) Infof(format string, args ...any) {
	s.f.log.Debug("pion", "scope", s.scope, "msg", fmt.Sprintf(format, args...))
}
func (s *pionScope) Warn(msg string) { s.f.record(s.scope, msg) }
func (s *pionScope) Warnf(format string, args ...any) {
	s.f.record(s.scope, fmt.Sprintf(format, args...))
}
func (s *pionScope) Error(msg string) { s.f.record(s.scope, msg) }
func (s *pionScope) Errorf(format string, args ...any) {
	s.f.record(s.scope, fmt.Sprintf(format, args...))
}

// dtlsCheck names the security check behind a failed DTLS handshake from
// what pion logged about it, most specific first. The texts are pion/dtls v3
// errors and alerts and Go x509 verification errors. A side that receives a
// fatal InsufficientSecurity alert only learns that the peer could not meet
// one of our parameters (SRTP profile, cipher suite, curve, extended master
// secret); the side that sends it names the parameter.
func dtlsCheck(lines []string) Check {
	var hs []string
	for _, l := range lines {
		if strings.Contains(l, "handshake error") || strings.Contains(l, "Failed to start manager") {
			hs = append(hs, strings.ToLower(l))
		}
	}
	all := strings.Join(hs, "\n")
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(all, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("srtp"):
		return CheckSRTPProfile
	case has("fingerprint"):
		return CheckDTLSFingerprint
	case has("x509", "certificate", "client verification", "unknownca", "unknown ca"):
		return CheckDTLSCertificate
	case has("insufficientsecurity", "cipher", "curve", "extended master secret", "handshakefailure"):
		return CheckDTLSParameters
	default:
		return CheckDTLS
	}
}
