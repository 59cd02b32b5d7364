package exchange_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/exchange"
	"mehfooz/exchange/client"
	"mehfooz/exchange/store"
	"mehfooz/exchange/wire"
	"mehfooz/trust"
	"mehfooz/trust/ca"
	"mehfooz/trust/trusttest"
)

// fast lifts the per-device rate limit, which a benchmark would hit at once.
func fast(c *exchange.Config) { c.Rate, c.Burst = 1e9, 1<<30 }

// BenchmarkHandshake measures admitting a handset: TCP connect, the mutual
// TLS 1.3 handshake (hybrid key exchange, ECDSA P-384 both ways), the
// exchange's admission (chain, registry, revocation list, directory),
// Hello and Welcome. Client and server share the machine.
func BenchmarkHandshake(b *testing.B) {
	for _, g := range []tls.CurveID{tls.SecP384r1MLKEM1024, tls.X25519MLKEM768} {
		b.Run(g.String(), func(b *testing.B) {
			h := newHarness(b, fast)
			var devs []tls.Certificate
			for i := range 8 {
				devs = append(devs, h.enroll(fmt.Sprintf("pk-%04d", i+1)).TLS())
			}
			h.publish(nil)
			cfg := func(cert tls.Certificate) *tls.Config {
				return &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: h.fleet.Verifier.Pool(), ServerName: "exchange.test",
					Certificates: []tls.Certificate{cert}, CurvePreferences: []tls.CurveID{g}}
			}
			var next sync.Mutex
			i := 0
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				next.Lock()
				c := cfg(devs[i%len(devs)])
				i++
				next.Unlock()
				for pb.Next() {
					tc, err := tls.Dial("tcp", h.addr, c)
					if err != nil {
						b.Error(err)
						return
					}
					w, r := wire.NewWriter(tc), wire.NewReader(tc, wire.FromExchange)
					w.Write(&wire.Hello{Directory: 1, Revocations: 1})
					_, m, err := r.Read()
					tc.Close()
					if err != nil || m.Kind() != wire.KindWelcome {
						b.Errorf("not admitted: %v %v", m, err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "handshakes/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/handshake")
		})
	}
}

// BenchmarkSignalingRoundTrip measures a call message from one handset to
// another through the exchange and the answer back (two routed hops each
// way), with the real client on both ends.
func BenchmarkSignalingRoundTrip(b *testing.B) {
	h := newHarness(b, fast)
	devA, devB := h.enroll("pk-0001"), h.enroll("pk-0002")
	h.publish(nil)
	a, bb := h.connect(devA, nil), h.connect(devB, nil)
	call := wire.NewCallID()
	ctx := context.Background()
	a.c.Send(ctx, wire.Envelope{Kind: wire.Invite, Call: call, To: "pk-0002", Body: make([]byte, 3000)})
	next[*client.Routed](bb, noise)
	bb.c.Send(ctx, wire.Envelope{Kind: wire.Answer, Call: call, To: "pk-0001", Body: make([]byte, 3000)})
	next[*client.Routed](a, noise)
	body := make([]byte, 200) // an ICE candidate with its signature
	routed := func(hs *handset) {
		for e := range hs.ev {
			if _, ok := e.(*client.Routed); ok {
				return
			}
		}
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		a.c.Send(ctx, wire.Envelope{Kind: wire.Candidate, Call: call, To: "pk-0002", Body: body})
		routed(bb)
		bb.c.Send(ctx, wire.Envelope{Kind: wire.Candidate, Call: call, To: "pk-0001", Body: body})
		routed(a)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/roundtrip")
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/roundtrip")
}

// BenchmarkIdleHandsetMemory connects idleHandsets handsets to an exchange
// running in a child process, so that only the exchange is measured, and
// reports what each idle connection costs it: Go heap and stacks, resident
// memory, goroutines, and the CPU it spent admitting them.
func BenchmarkIdleHandsetMemory(b *testing.B) {
	const idleHandsets = 300
	f := trusttest.NewAt(b, time.Now())
	dir := b.TempDir()
	devs := make([]*trusttest.Device, idleHandsets)
	for i := range devs {
		devs[i] = f.Enroll(trust.DeviceID(fmt.Sprintf("pk-%04d", i+1)))
	}
	xk, _ := ca.NewKey()
	xc, _ := f.CA.IssueExchange(&xk.PublicKey, []string{"exchange.test"}, 0)
	keyPEM, _ := ca.EncodeKeyPEM(xk)
	os.WriteFile(filepath.Join(dir, "ca.pem"), ca.EncodeCertificatePEM(f.CA.Certificate()), 0o600)
	os.WriteFile(filepath.Join(dir, "x.pem"), ca.EncodeCertificatePEM(xc), 0o600)
	os.WriteFile(filepath.Join(dir, "x.key"), keyPEM, 0o600)
	// Enroll everyone and publish in the database the child will open.
	st, err := store.Open(filepath.Join(dir, "x.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	x, err := exchange.New(exchange.Config{Verifier: f.Verifier, Store: st, Clock: clock.Real{},
		Certificate: tls.Certificate{Certificate: [][]byte{xc.Raw}, PrivateKey: xk}})
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range devs {
		x.Enroll(d.Cert, "bench")
	}
	x.PublishDirectory(f.SignDirectory(f.Directory()), "bench")
	x.PublishRevocations(f.SignRevocations(f.Revocations()), "bench")
	st.Close()

	for range b.N {
		b.StopTimer()
		child := startChild(b, dir)
		before := child.stats(b)
		b.StartTimer()
		var conns []*tls.Conn
		var wg sync.WaitGroup
		for _, d := range devs {
			tc, err := tls.Dial("tcp", child.addr, &tls.Config{MinVersion: tls.VersionTLS13, RootCAs: f.Verifier.Pool(),
				ServerName: "exchange.test", Certificates: []tls.Certificate{d.TLS()}, CurvePreferences: []tls.CurveID{tls.SecP384r1MLKEM1024}})
			if err != nil {
				b.Fatal(err)
			}
			wire.NewWriter(tc).Write(&wire.Hello{Directory: 1, Revocations: 1})
			conns = append(conns, tc)
			wg.Go(func() { // drain presence updates, as a handset does
				r := wire.NewReader(tc, wire.FromExchange)
				for {
					if _, _, err := r.Read(); err != nil {
						return
					}
				}
			})
		}
		b.StopTimer()
		var after childStats
		for deadline := time.Now().Add(30 * time.Second); ; {
			if after = child.stats(b); after.online == idleHandsets || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if after.online != idleHandsets {
			b.Fatalf("%d of %d handsets online", after.online, idleHandsets)
		}
		n := float64(idleHandsets)
		b.ReportMetric(float64(after.heap+after.stack-before.heap-before.stack)/n, "heap+stack-B/handset")
		b.ReportMetric(float64(after.rss-before.rss)/n, "RSS-B/handset")
		b.ReportMetric(float64(after.goroutines-before.goroutines)/n, "goroutines/handset")
		// The exchange's own CPU per admission: TLS server side, admission,
		// Welcome, and telling every online contact (all-to-all here).
		b.ReportMetric(float64((after.cpu-before.cpu).Microseconds())/1000/n, "server-cpu-ms/admission")
		for _, c := range conns {
			c.Close()
		}
		wg.Wait()
		child.stop(b)
	}
}

type childStats struct {
	heap, stack, rss   uint64
	goroutines, online int
	cpu                time.Duration
}

type childProc struct {
	cmd  *exec.Cmd
	in   *os.File
	out  *bufio.Scanner
	addr string
}

func startChild(b *testing.B, dir string) *childProc {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "EXCHANGE_BENCH_CHILD="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	c := &childProc{cmd: cmd, in: stdin.(*os.File), out: bufio.NewScanner(stdout)}
	if !c.out.Scan() || !strings.HasPrefix(c.out.Text(), "ADDR ") {
		b.Fatalf("child did not start: %q", c.out.Text())
	}
	c.addr = strings.TrimPrefix(c.out.Text(), "ADDR ")
	return c
}

func (c *childProc) stats(b *testing.B) childStats {
	b.Helper()
	fmt.Fprintln(c.in, "stats")
	if !c.out.Scan() {
		b.Fatal("child gone")
	}
	var s childStats
	if _, err := fmt.Sscan(c.out.Text(), &s.heap, &s.stack, &s.rss, &s.goroutines, &s.online, &s.cpu); err != nil {
		b.Fatalf("child stats %q: %v", c.out.Text(), err)
	}
	return s
}

func (c *childProc) stop(b *testing.B) {
	c.in.Close()
	if err := c.cmd.Wait(); err != nil {
		b.Fatalf("child: %v", err)
	}
}

// runChild is the child side of BenchmarkIdleHandsetMemory: an exchange on
// loopback that reports its memory when asked, until stdin closes.
func runChild(dir string) {
	fail := func(err error) { fmt.Fprintln(os.Stderr, "bench child:", err); os.Exit(1) }
	caPEM, _ := os.ReadFile(filepath.Join(dir, "ca.pem"))
	anchor, err := ca.ParseCertificatePEM(caPEM)
	if err != nil {
		fail(err)
	}
	v, err := trust.NewVerifier(anchor, clock.Real{})
	if err != nil {
		fail(err)
	}
	cb, _ := os.ReadFile(filepath.Join(dir, "x.pem"))
	kb, _ := os.ReadFile(filepath.Join(dir, "x.key"))
	cert, err := tls.X509KeyPair(cb, kb)
	if err != nil {
		fail(err)
	}
	st, err := store.Open(filepath.Join(dir, "x.db"), store.Options{})
	if err != nil {
		fail(err)
	}
	x, err := exchange.New(exchange.Config{Verifier: v, Store: st, Certificate: cert, Clock: clock.Real{}, Rate: 1e9, Burst: 1 << 30})
	if err != nil {
		fail(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- x.Serve(ctx, ln, nil) }()
	fmt.Println("ADDR", ln.Addr())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		online := 0
		for _, d := range x.Status().Devices {
			if d.Online {
				online++
			}
		}
		if p := os.Getenv("EXCHANGE_BENCH_HEAPPROFILE"); p != "" && online > 0 {
			if f, err := os.Create(p); err == nil {
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
		fmt.Println(m.HeapInuse, m.StackInuse, rss(), runtime.NumGoroutine(), online, int64(cpuTime()))
	}
	cancel()
	if err := <-done; err != nil {
		fail(err)
	}
	st.Close()
}

// cpuTime is the CPU time (user and system) this process has used: on a
// shared, loaded machine it says more about cost than wall time does.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rss reads the resident set size from /proc (Linux).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func TestMain(m *testing.M) {
	if dir := os.Getenv("EXCHANGE_BENCH_CHILD"); dir != "" {
		runChild(dir)
		os.Exit(0)
	}
	os.Exit(m.Run())
}
