package sim

import (
	"reflect"
	"strings"
	"testing"
)

type frameOut struct {
	ev   frameEvent
	text string
}

// frameAll feeds in, in chunks of size, and collects the events and echo.
func frameAll(f *framer, in string, size int) ([]frameOut, string) {
	var out []frameOut
	var echo strings.Builder
	b := []byte(in)
	for len(b) > 0 {
		chunk := b[:min(size, len(b))]
		b = b[len(chunk):]
		for len(chunk) > 0 {
			n, e, ev, text := f.scan(chunk)
			chunk = chunk[n:]
			echo.Write(e)
			if ev != evNone {
				out = append(out, frameOut{ev, text})
			}
		}
	}
	return out, echo.String()
}

func TestFramer(t *testing.T) {
	tests := []struct {
		name, in string
		want     []frameOut
		echo     string
	}{
		{"line", "AT+CSQ\r", []frameOut{{evLine, "+CSQ"}}, "AT+CSQ\r"},
		{"crlf and noise", "\n\x00xyzAT\r\nat+cgmi\r\n", []frameOut{{evLine, ""}, {evLine, "+cgmi"}}, "AT\rat+cgmi\r"},
		{"backspace", "AT+CSX\bQ\r", []frameOut{{evLine, "+CSQ"}}, "AT+CSX\bQ\r"},
		{"backspace stops at AT", "AT\b\b+CSQ\r", []frameOut{{evLine, "+CSQ"}}, "AT+CSQ\r"},
		{"repeat", "A/", []frameOut{{evRepeat, ""}}, "A/"},
		{"AAT", "AAT\r", []frameOut{{evLine, ""}}, "AAT\r"},
		{"A then noise", "AxAT\r", []frameOut{{evLine, ""}}, "AAT\r"},
		{"no CR yet", "AT+CSQ", nil, "AT+CSQ"},
	}
	for _, tt := range tests {
		for _, size := range []int{1, 3, 1000} {
			f := &framer{max: 64}
			got, echo := frameAll(f, tt.in, size)
			if !reflect.DeepEqual(got, tt.want) || echo != tt.echo {
				t.Errorf("%s (chunks of %d): events %v echo %q, want %v echo %q", tt.name, size, got, echo, tt.want, tt.echo)
			}
		}
	}
}

func TestFramerOverflow(t *testing.T) {
	f := &framer{max: 16}
	got, echo := frameAll(f, "AT"+strings.Repeat("X", 100)+"\rAT\r", 7)
	want := []frameOut{{evOverflow, ""}, {evLine, ""}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if wantEcho := "AT" + strings.Repeat("X", 14) + "\rAT\r"; echo != wantEcho {
		t.Fatalf("echo %q, want %q", echo, wantEcho)
	}
}

func TestFramerPrompt(t *testing.T) {
	f := &framer{max: 64}
	f.prompt()
	got, _ := frameAll(f, "0011\r\n22\x1aAT\r", 2)
	want := []frameOut{{evPDU, "001122"}, {evLine, ""}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	f.prompt()
	got, _ = frameAll(f, "0011\x1b", 10)
	if want := []frameOut{{evCancel, ""}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

// FuzzFramer checks that framing never panics, never keeps more than its
// bound, and cuts the same events whatever the chunking.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("AT+CSQ\r\nATE0\rA/"), uint8(3))
	f.Add([]byte("\x00\xffAT\b\b\bX\r"), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, size uint8) {
		a := &framer{max: 32}
		b := &framer{max: 32}
		evA, echoA := frameAll(a, string(in), len(in)+1)
		evB, echoB := frameAll(b, string(in), int(size)+1)
		if !reflect.DeepEqual(evA, evB) || echoA != echoB {
			t.Fatalf("chunking changed the framing: %v %q vs %v %q", evA, echoA, evB, echoB)
		}
		for _, e := range evA {
			if len(e.text) > 32 {
				t.Fatalf("event text of %d bytes, bound 32", len(e.text))
			}
		}
		if len(a.buf) > 32+2 {
			t.Fatalf("framer holds %d bytes", len(a.buf))
		}
	})
}
