package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func testEnv() (*env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, &out, &errb
}

func TestRunDispatchesLongestPathAndExitCodes(t *testing.T) {
	saved := commands
	defer func() { commands = saved }()
	commands = nil
	var got []string
	register(command{path: []string{"x"}, summary: "x", run: func(_ context.Context, _ *env, a []string) error { got = append([]string{"x"}, a...); return nil }})
	register(command{path: []string{"x", "y"}, summary: "x y", run: func(_ context.Context, _ *env, a []string) error { got = append([]string{"x y"}, a...); return nil }})
	register(command{path: []string{"bad"}, summary: "fails", run: func(context.Context, *env, []string) error { return errors.New("boom") }})
	register(command{path: []string{"use"}, summary: "usage", run: func(context.Context, *env, []string) error { return errUsage }})

	e, _, errb := testEnv()
	if code := run(context.Background(), e, []string{"x", "y", "--z"}); code != 0 || strings.Join(got, ",") != "x y,--z" {
		t.Fatalf("x y: code %d, got %v", code, got)
	}
	if code := run(context.Background(), e, []string{"x", "q"}); code != 0 || strings.Join(got, ",") != "x,q" {
		t.Fatalf("x q: code %d, got %v", code, got)
	}
	if code := run(context.Background(), e, []string{"bad"}); code != 1 || !strings.Contains(errb.String(), "phonectl bad: boom") {
		t.Fatalf("bad: code %d, stderr %q", code, errb.String())
	}
	if code := run(context.Background(), e, []string{"use"}); code != 2 {
		t.Fatalf("usage error: code %d, want 2", code)
	}
	if code := run(context.Background(), e, []string{"nope"}); code != 2 || !strings.Contains(errb.String(), `unknown command "nope"`) {
		t.Fatalf("unknown: code %d", code)
	}
	e, out, _ := testEnv()
	if code := run(context.Background(), e, []string{"help"}); code != 0 || !strings.Contains(out.String(), "x y") {
		t.Fatalf("help: code %d, out %q", code, out.String())
	}
}
