package relay

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// slogFactory routes pion's logs to our slog.Logger. Trace goes to Debug.
type slogFactory struct{ l *slog.Logger }

func (f slogFactory) NewLogger(scope string) logging.LeveledLogger {
	return slogLogger{f.l.With("scope", scope)}
}

type slogLogger struct{ l *slog.Logger }

func (s slogLogger) log(level slog.Level, msg string) { s.l.Log(context.Background(), level, msg) }
func (s slogLogger) Trace(msg string)                 { s.log(slog.LevelDebug-4, msg) }
func (s slogLogger) Tracef(f string, a ...any)        { s.Trace(fmt.Sprintf(f, a...)) }
func (s slogLogger) Debug(msg string)                 { s.log(slog.LevelDebug, msg) }
func (s slogLogger) Debugf(f string, a ...any)        { s.Debug(fmt.Sprintf(f, a...)) }
func (s slogLogger) Info(msg string)                  { s.log(slog.LevelInfo, msg) }
func (s slogLogger) Infof(f string, a ...any)         { s.Info(fmt.Sprintf(f, a...)) }
func (s slogLogger) Warn(msg string)                  { s.log(slog.LevelWarn, msg) }
func (s slogLogger) Warnf(f string, a ...any)         { s.Warn(fmt.Sprintf(f, a...)) }
func (s slogLogger) Error(msg string)                 { s.log(slog.LevelError, msg) }
func (s slogLogger) Errorf(f string, a ...any)        { s.Error(fmt.Sprintf(f, a...)) }
