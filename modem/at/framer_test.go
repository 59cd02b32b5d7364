package at

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"mehfooz/clock"
)

func frame(f *framer, chunks ...[]byte) []string {
	var out []string
	emit := func(line []byte, prompt bool) {
		if prompt {
			out = append(out, ">")
			return
		}
		out = append(out, string(line))
	}
	for _, c := range chunks {
		f.feed(c, emit)
	}
	return out
}

func TestFramer(t *testing.T) {
	for _, c := range []struct {
		name   string
		in     string
		prompt bool
		want   []string
	}{
		{"v250", "\r\n+CSQ: 20,99\r\n\r\nOK\r\n", false, []string{"+CSQ: 20,99", "OK"}},
		{"bare LF", "A\nB\n", false, []string{"A", "B"}},
		{"NUL and binary stripped", "\x00O\x1bK\xff\r\n", false, []string{"OK"}},
		{"prompt", "\r\n> 0011\r\n", true, []string{">", "0011"}},
		{"prompt not expected", "\r\n> x\r\n", false, []string{"> x"}},
		{"prompt only at line start", "a>b\r\n", true, []string{"a>b"}},
		{"partial kept", "+CEREG: 1", false, nil},
	} {
		f := newFramer(16)
		f.expectPrompt = c.prompt
		if got := frame(f, []byte(c.in)); !slices.Equal(got, c.want) {
			t.Errorf("%s: lines %q, want %q", c.name, got, c.want)
		}
	}
}

func TestFramerBounds(t *testing.T) {
	f := newFramer(8)
	got := frame(f, []byte("12345678\r\n123456789\r\nOK\r\n"), []byte(strings.Repeat("x", 100)), []byte("\nOK\n"))
	if want := []string{"12345678", "OK", "OK"}; !slices.Equal(got, want) {
		t.Fatalf("lines %q, want %q", got, want)
	}
	if f.overlong != 2 || f.dropped != 109 {
		t.Fatalf("overlong %d dropped %d, want 2 and 109", f.overlong, f.dropped)
	}
	f.feed([]byte("tail"), func([]byte, bool) {})
	if !f.pending() {
		t.Fatal("partial line not pending")
	}
	var flushed []string
	f.flush(func(l []byte, _ bool) { flushed = append(flushed, string(l)) })
	if !slices.Equal(flushed, []string{"tail"}) || f.pending() {
		t.Fatalf("flush gave %q", flushed)
	}
}

// FuzzFramer checks the framer's promises on any input, cut into chunks
// anywhere: lines are bounded, printable, free of line ends, and the same
// whatever the chunking.
func FuzzFramer(f *testing.F) {
	f.Add([]byte("\r\n+CSQ: 20,99\r\n\r\nOK\r\n"), uint8(3), false)
	f.Add([]byte("\r\n> 0011\x1a\r\nOK\r\n"), uint8(1), true)
	f.Add(bytes.Repeat([]byte{'A'}, 100), uint8(7), false)
	f.Add([]byte("\x00\xff\r\r\n\n"), uint8(0), false)
	f.Fuzz(func(t *testing.T, data []byte, step uint8, prompt bool) {
		const max = 32
		whole := newFramer(max)
		whole.expectPrompt = prompt
		want := frame(whole, data)
		cut := newFramer(max)
		cut.expectPrompt = prompt
		n := int(step) + 1
		var chunks [][]byte
		for i := 0; i < len(data); i += n {
			chunks = append(chunks, data[i:min(i+n, len(data))])
		}
		got := frame(cut, chunks...)
		if !slices.Equal(got, want) {
			t.Fatalf("chunked into %d: %q, whole: %q", n, got, want)
		}
		for _, l := range got {
			if len(l) == 0 || len(l) > max {
				t.Fatalf("line of %d bytes", len(l))
			}
			for i := 0; i < len(l); i++ {
				if l[i] < 0x20 || l[i] > 0x7e {
					t.Fatalf("line %q has byte %#x", l, l[i])
				}
			}
		}
		if whole.overlong != cut.overlong || whole.dropped != cut.dropped || whole.stripped != cut.stripped {
			t.Fatalf("counters differ with chunking")
		}
	})
}

// FuzzRoute feeds any modem output to the router while a command waits, and
// checks that nothing panics, the queue stays bounded, and the command's
// information lines carry its prefix.
func FuzzRoute(f *testing.F) {
	f.Add([]byte("+CEREG: 5\r\n+CSQ: 20,99\r\nOK\r\n"), "+CSQ")
	f.Add([]byte("+CMT: ,24\r\n0791\r\n+CMT: ,3\r\nRDY\r\n> \r\n"), "")
	f.Add([]byte("+CREG: 2,1\r\n+CREG: 1,\"00\"\r\n+CME ERROR: 14\r\n"), "+CREG")
	f.Fuzz(func(t *testing.T, data []byte, prefix string) {
		e := newEngine(nil, Config{Clock: clock.NewFake(time.Unix(0, 0)), QueueSize: 8, MaxLine: 64})
		p := &pending{cmd: Cmd{Line: "AT+X", Prefix: prefix}, prefix: prefix, prompt: make(chan struct{}, 1),
			done: make(chan result, 1), timer: e.clk.NewTimer(time.Second)}
		e.cur = p
		e.fr.feed(data, e.handle)
		e.fr.flush(e.handle)
		if n := e.q.len(); n > 8 {
			t.Fatalf("queue holds %d, bound 8", n)
		}
		if prefix != "" {
			for _, l := range p.info {
				if !strings.EqualFold(urcName(l), prefix) {
					t.Fatalf("info line %q for prefix %q", l, prefix)
				}
			}
		}
		for {
			if _, ok := e.q.pop(); !ok {
				break
			}
		}
	})
}
