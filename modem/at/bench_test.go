package at

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// BenchmarkExecRoundTrip is one AT+CSQ and its answer through the engine and
// an in-memory modem (net.Pipe) that answers every command at once: the
// engine's own cost per command, without a serial line's latency.
func BenchmarkExecRoundTrip(b *testing.B) {
	host, modem := net.Pipe()
	eng := New(host, Config{})
	defer eng.Close()
	go func() {
		rd := bufio.NewReader(modem)
		for {
			if _, err := rd.ReadString('\r'); err != nil {
				return
			}
			if _, err := io.WriteString(modem, "\r\n+CSQ: 20,99\r\n\r\nOK\r\n"); err != nil {
				return
			}
		}
	}()
	ctx := context.Background()
	cmd := Cmd{Line: "AT+CSQ", Prefix: "+CSQ"}
	b.ReportAllocs()
	for b.Loop() {
		r, err := eng.Exec(ctx, cmd)
		if err != nil || len(r.Info) != 1 {
			b.Fatalf("%+v %v", r, err)
		}
	}
	modem.Close()
}

// BenchmarkURCStorm pushes URCs through the engine as fast as an in-memory
// port delivers them, with a consumer draining the queue: half are
// registration reports (coalesced), half message indications (queued one by
// one). It reports URCs per second and the queue's peak, which the bound
// caps whatever the rate.
func BenchmarkURCStorm(b *testing.B) {
	host, modem := net.Pipe()
	const queue = 256
	eng := New(host, Config{QueueSize: queue})
	defer eng.Close()
	stop := make(chan struct{})
	consumed := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-eng.Notify():
				for {
					if _, ok := eng.NextURC(); !ok {
						break
					}
					n++
				}
			case <-stop:
				consumed <- n
				return
			}
		}
	}()
	const batch = 64
	var sb strings.Builder
	for i := range batch {
		if i%2 == 0 {
			fmt.Fprintf(&sb, "+CEREG: 1,\"1A2B\",\"01ABCD%02X\",7\r\n", i)
		} else {
			fmt.Fprintf(&sb, "+CMTI: \"ME\",%d\r\n", i)
		}
	}
	chunk := []byte(sb.String())
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	sent := 0
	for sent < b.N {
		if _, err := modem.Write(chunk); err != nil {
			b.Fatal(err)
		}
		sent += batch
	}
	for eng.Stats().URCs < uint64(sent) {
		time.Sleep(10 * time.Microsecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	close(stop)
	<-consumed
	st := eng.Stats()
	b.ReportMetric(float64(sent)/elapsed.Seconds(), "urcs/s")
	b.ReportMetric(float64(st.PeakQueue), "peak-queue")
	b.ReportMetric(100*float64(st.Overflow)/float64(sent), "overflow-%")
	if st.PeakQueue > queue {
		b.Fatalf("peak queue %d over the bound %d", st.PeakQueue, queue)
	}
	modem.Close()
}
