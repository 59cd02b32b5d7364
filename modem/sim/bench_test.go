package sim

import (
	"bytes"
	"context"
	"io"
	"testing"

	"go.bug.st/serial"
)

// benchRoundTrip sends AT+CSQ and reads to the OK, b.N times.
func benchRoundTrip(b *testing.B, port io.ReadWriter) {
	buf := make([]byte, 256)
	want := []byte("\r\nOK\r\n")
	b.ResetTimer()
	for range b.N {
		if _, err := port.Write([]byte("AT+CSQ\r")); err != nil {
			b.Fatal(err)
		}
		var got []byte
		for !bytes.HasSuffix(got, want) {
			n, err := port.Read(buf)
			if err != nil {
				b.Fatal(err)
			}
			got = append(got, buf[:n]...)
		}
	}
}

func benchModem(b *testing.B, line Line) *Modem {
	cfg, _ := fakeConfig()
	cfg.Profile = &Generic
	m, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := m.Start(line); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return m
}

// BenchmarkRoundTripPTY is one command and its answer through a real pty
// opened with go.bug.st/serial, as the daemon opens the modem.
func BenchmarkRoundTripPTY(b *testing.B) {
	line, err := NewPTY("")
	if err != nil {
		b.Fatal(err)
	}
	benchModem(b, line)
	port, err := serial.Open(line.Path(), &serial.Mode{BaudRate: 115200})
	if err != nil {
		b.Fatal(err)
	}
	defer port.Close()
	port.Write([]byte("ATE0\r"))
	benchRoundTrip(b, port)
}

// BenchmarkRoundTripPipe is the same over an in-memory pipe: the cost of
// the simulator itself.
func BenchmarkRoundTripPipe(b *testing.B) {
	line := NewPipe()
	benchModem(b, line)
	conn, err := line.Host(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("ATE0\r"))
	buf := make([]byte, 64)
	var got []byte
	for !bytes.Contains(got, []byte("OK\r\n")) {
		n, _ := conn.Read(buf)
		got = append(got, buf[:n]...)
	}
	benchRoundTrip(b, conn)
}
