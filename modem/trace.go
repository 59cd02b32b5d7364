package modem

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"

	"github.com/warthog618/modem/trace"
)

// traced wraps the port in warthog618/modem's trace decorator, which logs
// each read and write, through a logger that redacts secrets.
func traced(port io.ReadWriteCloser, log *slog.Logger) io.ReadWriteCloser {
	t := trace.New(port, trace.WithLogger(traceLog{log}), trace.WithReadFormat("r: %q"), trace.WithWriteFormat("w: %q"))
	return struct {
		io.ReadWriter
		io.Closer
	}{t, port}
}

type traceLog struct{ log *slog.Logger }

// secrets matches the parameters of commands that carry a PIN, a PUK or a
// password, up to the end of the command (a CR, "\r" in the quoted trace).
// The engine writes each command in one Write, so a sent secret is never
// split across two trace lines.
var secrets = regexp.MustCompile(`(?i)(\+CPIN=|\+CPWD=|\+CLCK=|\+CGAUTH=|\+QICSGP=).*?(\\r|$)`)

func (l traceLog) Printf(format string, v ...any) {
	l.log.Debug("modem: io", "bytes", redact(fmt.Sprintf(format, v...)))
}

func redact(s string) string { return secrets.ReplaceAllString(s, "${1}***${2}") }
