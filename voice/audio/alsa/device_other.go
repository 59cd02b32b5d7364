//go:build !linux

package alsa

import (
	"errors"
	"os"
	"runtime"
)

func newFileDevice(*os.File) (Device, error) {
	return nil, errors.New("alsa: only on Linux")
}

func runtimeKeepAlive(x any) { runtime.KeepAlive(x) }

var errSuspended = errors.New("alsa: suspended")
