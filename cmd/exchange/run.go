package main

import (
	"context"
	"crypto"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"mehfooz/clock"
	"mehfooz/exchange"
	"mehfooz/exchange/relay"
	"mehfooz/exchange/store"
	"mehfooz/trust"
	"mehfooz/trust/ca"
)

// options are the command-line flags.
type options struct {
	listen, admin, db   string
	caCert, cert, key   string
	pubCert, pubKey     string
	turnUDP, turnTLS    string
	relayIP, relayPorts string
	turnHost            string
	turnTTL             time.Duration
	turnQuota           int
	allowClassical      bool
	rate                float64
	burst               int
	idle                time.Duration
	logLevel            string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	fs := flag.NewFlagSet("exchange", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	fs.StringVar(&o.listen, "listen", ":7443", "handset listener (mutual TLS 1.3)")
	fs.StringVar(&o.admin, "admin", ":7444", "technician API listener (mutual TLS 1.3); empty disables it")
	fs.StringVar(&o.db, "db", "exchange.db", "database file: enrolled devices, bundles, blocks, wipe orders, audit log")
	fs.StringVar(&o.caCert, "ca", "", "enrollment CA certificate, PEM (required)")
	fs.StringVar(&o.cert, "cert", "", "this exchange's certificate, PEM, from phonectl ca issue --role exchange (required)")
	fs.StringVar(&o.key, "key", "", "this exchange's private key, PEM (required)")
	fs.StringVar(&o.pubCert, "publisher-cert", "", "optional publisher certificate, PEM: with it the exchange signs and pushes a revocation list the moment a handset revokes itself (duress) or is wiped")
	fs.StringVar(&o.pubKey, "publisher-key", "", "the publisher key, PEM (with --publisher-cert)")
	fs.StringVar(&o.turnUDP, "turn-udp", ":3478", "TURN/UDP listener; empty disables the relay's UDP side")
	fs.StringVar(&o.turnTLS, "turn-tls", ":5349", "TURN/TLS listener (client certificates required); empty disables it")
	fs.StringVar(&o.relayIP, "relay-ip", "", "address of relayed allocations, reachable by handsets (required unless both TURN listeners are off)")
	fs.StringVar(&o.relayPorts, "relay-ports", "49152-65535", "port range of relayed allocations")
	fs.StringVar(&o.turnHost, "turn-host", "", "host in the turn: and turns: URLs handed to handsets (default: -relay-ip)")
	fs.DurationVar(&o.turnTTL, "turn-ttl", 10*time.Minute, "lifetime of per-call TURN credentials")
	fs.IntVar(&o.turnQuota, "turn-quota", 4, "TURN allocations per device")
	fs.BoolVar(&o.allowClassical, "allow-classical", false, "also admit handsets without a hybrid post-quantum key exchange")
	fs.Float64Var(&o.rate, "rate", 20, "frames per second per device (token bucket rate)")
	fs.IntVar(&o.burst, "burst", 60, "frames per device in a burst (token bucket size)")
	fs.DurationVar(&o.idle, "idle", 90*time.Second, "drop a handset silent this long")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: exchange --ca CA.pem --cert EXCHANGE.pem --key EXCHANGE.key [--relay-ip IP] [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "exchange: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return nil, errors.New("usage")
	}
	if o.caCert == "" || o.cert == "" || o.key == "" {
		fmt.Fprintln(stderr, "exchange: --ca, --cert and --key are required")
		fs.Usage()
		return nil, errors.New("usage")
	}
	if (o.pubCert == "") != (o.pubKey == "") {
		fmt.Fprintln(stderr, "exchange: --publisher-cert and --publisher-key go together")
		return nil, errors.New("usage")
	}
	if (o.turnUDP != "" || o.turnTLS != "") && o.relayIP == "" {
		fmt.Fprintln(stderr, "exchange: --relay-ip is required with a TURN listener (or set --turn-udp= --turn-tls= to run without the relay)")
		return nil, errors.New("usage")
	}
	return o, nil
}

// Run serves until ctx ends.
func Run(ctx context.Context, o *options, logw io.Writer) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: level}))

	caPEM, err := os.ReadFile(o.caCert)
	if err != nil {
		return err
	}
	anchor, err := ca.ParseCertificatePEM(caPEM)
	if err != nil {
		return fmt.Errorf("--ca %s: %w", o.caCert, err)
	}
	v, err := trust.NewVerifier(anchor, clock.Real{})
	if err != nil {
		return err
	}
	cert, err := loadCertificate(v, trust.RoleExchange, o.cert, o.key)
	if err != nil {
		return err
	}
	var pub *exchange.Publisher
	if o.pubCert != "" {
		pc, err := loadCertificate(v, trust.RolePublisher, o.pubCert, o.pubKey)
		if err != nil {
			return err
		}
		pub = &exchange.Publisher{Key: pc.PrivateKey.(crypto.Signer), Cert: pc.Leaf}
	}
	st, err := store.Open(o.db, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()

	var x atomic.Pointer[exchange.Exchange]
	var rl *relay.Relay
	if o.turnUDP != "" || o.turnTLS != "" {
		rl, err = startRelay(o, log, &x)
		if err != nil {
			return err
		}
		defer rl.Close()
	}
	cfg := exchange.Config{
		Verifier: v, Certificate: cert, Store: st, Clock: clock.Real{}, Logger: log,
		Publisher: pub, AllowClassical: o.allowClassical, Rate: o.rate, Burst: o.burst, IdleTimeout: o.idle,
	}
	if rl != nil {
		cfg.Relay = rl
	}
	ex, err := exchange.New(cfg)
	if err != nil {
		return err
	}
	x.Store(ex)

	hl, err := net.Listen("tcp", o.listen)
	if err != nil {
		return err
	}
	var al net.Listener
	if o.admin != "" {
		if al, err = net.Listen("tcp", o.admin); err != nil {
			hl.Close()
			return err
		}
	}
	log.Info("exchange serving", "handsets", hl.Addr().String(), "admin", addrOf(al), "turn-udp", o.turnUDP, "turn-tls", o.turnTLS)
	return ex.Serve(ctx, hl, al)
}

func addrOf(l net.Listener) string {
	if l == nil {
		return ""
	}
	return l.Addr().String()
}

// loadCertificate reads a certificate and its key and checks that the
// certificate is one of role from the enrollment CA.
func loadCertificate(v *trust.Verifier, role trust.Role, certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	c, err := ca.ParseCertificatePEM(certPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("--cert %s: %w", certFile, err)
	}
	if err := v.Verify(c, role, v.Now()); err != nil {
		return tls.Certificate{}, fmt.Errorf("%s certificate %s: %w", role, certFile, err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	defer clear(keyPEM)
	k, err := ca.ParseKeyPEM(keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("key %s: %w", keyFile, err)
	}
	if !k.PublicKey.Equal(c.PublicKey) {
		return tls.Certificate{}, fmt.Errorf("key %s does not match certificate %s", keyFile, certFile)
	}
	return tls.Certificate{Certificate: [][]byte{c.Raw}, PrivateKey: k, Leaf: c}, nil
}

// startRelay opens the TURN sockets and starts the relay. Its TLS side
// admits handsets with the exchange's own rules, looked up per handshake
// because the exchange is made after the relay.
func startRelay(o *options, log *slog.Logger, x *atomic.Pointer[exchange.Exchange]) (*relay.Relay, error) {
	ip := net.ParseIP(o.relayIP)
	if ip == nil {
		return nil, fmt.Errorf("--relay-ip %q is not an IP address", o.relayIP)
	}
	lo, hi, ok := strings.Cut(o.relayPorts, "-")
	minP, err1 := strconv.ParseUint(lo, 10, 16)
	maxP, err2 := strconv.ParseUint(hi, 10, 16)
	if !ok || err1 != nil || err2 != nil || minP == 0 || minP > maxP {
		return nil, fmt.Errorf("--relay-ports %q: want MIN-MAX", o.relayPorts)
	}
	host := o.turnHost
	if host == "" {
		host = o.relayIP
	}
	cfg := relay.Config{
		RelayIP: ip, MinPort: uint16(minP), MaxPort: uint16(maxP), TTL: o.turnTTL, MaxAllocations: o.turnQuota,
		Logger:   log.With("part", "relay"),
		Identify: func(cs *tls.ConnectionState) (string, error) { return exchangeOf(x).Identify(cs) },
		Refused: func(device, code, reason string) {
			if ex := x.Load(); ex != nil {
				ex.RelayRefused(device, code, reason)
			}
		},
	}
	var closers []io.Closer
	fail := func(err error) (*relay.Relay, error) {
		for _, c := range closers {
			c.Close()
		}
		return nil, err
	}
	if o.turnUDP != "" {
		pc, err := net.ListenPacket("udp", o.turnUDP)
		if err != nil {
			return fail(err)
		}
		closers = append(closers, pc)
		cfg.UDP = pc
		_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
		cfg.URLs = append(cfg.URLs, "turn:"+net.JoinHostPort(host, port)+"?transport=udp")
	}
	if o.turnTLS != "" {
		ln, err := net.Listen("tcp", o.turnTLS)
		if err != nil {
			return fail(err)
		}
		closers = append(closers, ln)
		tc := &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			ex := x.Load()
			if ex == nil {
				return nil, errors.New("exchange starting")
			}
			return ex.RelayTLS(), nil
		}}
		cfg.TLS = tls.NewListener(ln, tc)
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		cfg.URLs = append(cfg.URLs, "turns:"+net.JoinHostPort(host, port)+"?transport=tcp")
	}
	r, err := relay.New(cfg)
	if err != nil {
		return fail(err)
	}
	return r, nil
}

var errStarting = errors.New("exchange starting")

// exchangeOf returns the exchange or a stand-in that refuses everyone while
// it is being made.
func exchangeOf(x *atomic.Pointer[exchange.Exchange]) identifier {
	if ex := x.Load(); ex != nil {
		return ex
	}
	return refuseAll{}
}

type identifier interface {
	Identify(*tls.ConnectionState) (string, error)
}

type refuseAll struct{}

func (refuseAll) Identify(*tls.ConnectionState) (string, error) { return "", errStarting }
