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
// what pion logged, most specific first. The texts are pion/dtls v3 error
// strings and Go x509 verification errors.
func dtlsCheck(lines []string) Check {
	all := strings.ToLower(strings.Join(lines, "\n"))
	switch {
	case strings.Contains(all, "srtp"):
		return CheckSRTPProfile
	case strings.Contains(all, "unknown authority"), strings.Contains(all, "certificate signed by"),
		strings.Contains(all, "bad certificate"), strings.Contains(all, "unknown ca"),
		strings.Contains(all, "incompatible key usage"), strings.Contains(all, "certificate has expired"):
		return CheckDTLSCertificate
	case strings.Contains(all, "fingerprint"):
		return CheckDTLSFingerprint
	case strings.Contains(all, "cipher suite"), strings.Contains(all, "insufficient security"),
		strings.Contains(all, "extended master secret"), strings.Contains(all, "elliptic curve"):
		return CheckDTLSParameters
	default:
		return CheckDTLS
	}
}
