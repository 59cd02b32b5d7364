// Command phoned is the handset daemon. On a handset or a QEMU board it is
// process 1 of the image; with --board sim it is a plain process for
// development and the demo. It opens the devices its board names and hands
// them to package daemon, which does the rest.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"mehfooz/board"
	"mehfooz/image"
)

// defaultBoard is the board an image's phoned serves when no --board is
// given; image builds set it with -ldflags "-X main.defaultBoard=NAME",
// because process 1 gets no arguments.
var defaultBoard = "sim"

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// options are phoned's flags.
type options struct {
	board        *board.Board
	dataDir      string
	socket       string
	modemPort    string
	provisioning string
	screen       string
	audioIn      string
	audioOut     string
	logLevel     slog.Level
}

func parse(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("phoned", flag.ContinueOnError)
	fs.SetOutput(stderr)
	boardName := fs.String("board", defaultBoard, "board profile: "+strings.Join(board.Names(), ", "))
	o := &options{}
	fs.StringVar(&o.dataDir, "data", "", "persistent data folder (default: the board's data partition; required for sim)")
	fs.StringVar(&o.socket, "socket", "", "local API socket (default: /run/phoned/api.sock, or DATA/api.sock on sim)")
	fs.StringVar(&o.modemPort, "modem", "", "modem AT port (default: the board's)")
	fs.StringVar(&o.provisioning, "provisioning", "", "provisioning file (default: DATA/provisioning.json)")
	fs.StringVar(&o.screen, "screen", "480x800", "screen size of the sim board's in-memory display")
	fs.StringVar(&o.audioIn, "audio-in", "", "sim board: a 48 kHz mono WAV file played into every call (default: a 440 Hz tone)")
	fs.StringVar(&o.audioOut, "audio-out", "", "sim board: a folder where what each call hears is recorded as WAV")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	b, err := board.Lookup(*boardName)
	if err != nil {
		return nil, err
	}
	o.board = b
	if err := o.logLevel.UnmarshalText([]byte(*level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	if o.dataDir == "" {
		o.dataDir = b.Storage.DataDir
	}
	if o.dataDir == "" {
		return nil, fmt.Errorf("--data is required on board %s", b.Name)
	}
	if o.socket == "" {
		o.socket = "/run/phoned/api.sock"
		if !b.PID1 {
			o.socket = o.dataDir + "/api.sock"
		}
	}
	if o.modemPort == "" {
		o.modemPort = b.Modem.Port
	}
	if o.provisioning == "" {
		// An image carries it (image.PathProvision); a sim handset keeps
		// it in its data folder.
		o.provisioning = o.dataDir + "/provisioning.json"
		if b.PID1 {
			o.provisioning = "/" + image.PathProvision
		}
	}
	return o, nil
}
