// Command phonectl is the technician's tool: the enrollment CA, enrolling,
// revoking and wiping handsets, publishing the directory, building, signing,
// flashing and verifying images, and talking to a running phoned.
//
// Each subcommand lives in a file of its own and registers itself in init;
// the work is done by the domain packages, so this command stays thin.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
)

// command is one subcommand, e.g. {"ca","init"}.
type command struct {
	path    []string
	summary string
	// run receives the arguments after the command path. It returns
	// errUsage (wrapped or not) to have the usage printed.
	run func(ctx context.Context, env *env, args []string) error
}

// env is what a subcommand may touch, so tests can run it in-process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

// errUsage marks a wrong invocation; main prints the usage and exits 2.
var errUsage = errors.New("usage")

var commands []command

func register(c command) {
	commands = append(commands, c)
	slices.SortFunc(commands, func(a, b command) int {
		return strings.Compare(strings.Join(a.path, " "), strings.Join(b.path, " "))
	})
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}, os.Args[1:])
	stop()
	os.Exit(code)
}

// run dispatches args to the longest matching command path and returns the exit code.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	var best *command
	for i := range commands {
		c := &commands[i]
		if len(c.path) <= len(args) && slices.Equal(c.path, args[:len(c.path)]) {
			if best == nil || len(c.path) > len(best.path) {
				best = c
			}
		}
	}
	if best == nil {
		fmt.Fprintf(e.stderr, "phonectl: unknown command %q\n\n", strings.Join(args, " "))
		usage(e.stderr)
		return 2
	}
	err := best.run(ctx, e, args[len(best.path):])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(e.stderr, "phonectl %s: %v\n", strings.Join(best.path, " "), err)
		return 2
	default:
		fmt.Fprintf(e.stderr, "phonectl %s: %v\n", strings.Join(best.path, " "), err)
		return 1
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: phonectl <command> [flags]   (phonectl <command> --help for its flags)")
	fmt.Fprintln(w)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-22s %s\n", strings.Join(c.path, " "), c.summary)
	}
}

// flags returns a FlagSet for a subcommand that writes its help to e.stderr
// and returns errors instead of exiting.
func flags(e *env, path, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("phonectl "+path, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: phonectl %s %s\n", path, synopsis)
		fs.PrintDefaults()
	}
	return fs
}
