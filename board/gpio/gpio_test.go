package gpio

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

func TestEncodeRequestGroupsFlagsAndOutputValues(t *testing.T) {
	req, err := encodeRequest("phoned-modem", []LineConfig{
		{Offset: 35, Output: true},                // PWRKEY
		{Offset: 68, Output: true, Initial: true}, // RESET held
		{Offset: 232, Output: true},               // DISABLE
		{Offset: 233, ActiveLow: true},            // STATUS
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := cstring(req.Consumer[:]); got != "phoned-modem" {
		t.Errorf("consumer = %q", got)
	}
	if req.Num_lines != 4 || req.Offsets[0] != 35 || req.Offsets[3] != 233 {
		t.Errorf("lines = %d %v", req.Num_lines, req.Offsets[:4])
	}
	if req.Config.Flags != flagOutput {
		t.Errorf("default flags = %#x, want output", req.Config.Flags)
	}
	if req.Config.Num_attrs != 2 {
		t.Fatalf("attrs = %d, want 2 (input group, output values)", req.Config.Num_attrs)
	}
	in := req.Config.Attrs[0]
	if in.Attr.Id != unix.GPIO_V2_LINE_ATTR_ID_FLAGS || in.Attr.Flags != flagInput|flagActiveLow || in.Mask != 1<<3 {
		t.Errorf("input attr = %+v", in)
	}
	out := req.Config.Attrs[1]
	if out.Attr.Id != unix.GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES || out.Mask != 0b0111 || out.Attr.Flags != 0b0010 {
		t.Errorf("output values attr = %+v, want mask 0111 values 0010", out)
	}
}

func TestEncodeRequestRejects(t *testing.T) {
	many := make([]LineConfig, maxLines+1)
	for i := range many {
		many[i].Offset = uint32(i)
	}
	for name, c := range map[string]struct {
		consumer string
		lines    []LineConfig
	}{
		"none":          {"x", nil},
		"too many":      {"x", many},
		"duplicate":     {"x", []LineConfig{{Offset: 1}, {Offset: 1, Output: true}}},
		"long consumer": {"a-consumer-name-of-more-than-31-bytes", []LineConfig{{Offset: 1}}},
	} {
		if _, err := encodeRequest(c.consumer, c.lines); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// A file that is not a GPIO chip answers the chip ioctls with ENOTTY: the
// real syscall path, run without hardware.
func TestChipOnAPlainFileFailsWithErrno(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "notachip"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := NewChip(f)
	if _, err := c.Info(); !errors.Is(err, unix.ENOTTY) {
		t.Errorf("Info on a plain file = %v, want ENOTTY", err)
	}
	if _, err := c.Request("t", []LineConfig{{Offset: 0}}); !errors.Is(err, unix.ENOTTY) {
		t.Errorf("Request on a plain file = %v, want ENOTTY", err)
	}
}

func TestLinesBoundsAndClose(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "lines"))
	if err != nil {
		t.Fatal(err)
	}
	l := &Lines{f: f, n: 2}
	if err := l.Set(2, true); err == nil {
		t.Error("Set out of range: no error")
	}
	if err := l.Set(0, true); !errors.Is(err, unix.ENOTTY) {
		t.Errorf("Set on a plain file = %v, want ENOTTY", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Get(0); !errors.Is(err, ErrClosed) {
		t.Errorf("Get after Close = %v, want ErrClosed", err)
	}
	if err := l.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v, want ErrClosed", err)
	}
}
