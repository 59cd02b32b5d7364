package voice

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/elliptic"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/stats"
	"github.com/pion/webrtc/v4"
)

// ICEServer is one relay and the credentials the exchange minted for a call.
// URLs are turn: (UDP) and turns: (TLS, the fallback) URLs.
type ICEServer struct {
	URLs       []string
	Username   string
	Credential string
}

// Opus is the only codec a call offers or accepts: 48 kHz RTP clock, in-band
// FEC, constant bit rate (a variable rate leaks what is said through packet
// sizes), no DTX (silence would show as gaps).
var opusCodec = webrtc.RTPCodecParameters{
	RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
		SDPFmtpLine: "minptime=10;useinbandfec=1;cbr=1;usedtx=0",
	},
	PayloadType: 111,
}

// peerConfig is everything one peer connection needs.
type peerConfig struct {
	id        Identity
	roots     *x509.CertPool // enrollment CA: DTLS peers in both roles
	turnRoots *x509.CertPool // CA of the TURN server's TLS certificate
	ice       []ICEServer
	prewarm   bool // allocate the TURN relay now, before any description is set
	log       *slog.Logger

	// Test knobs for rogue peers; never set outside tests.
	srtpProfiles []dtls.SRTPProtectionProfile
}

// peer is one pion PeerConnection with its own API: the key log and the
// interceptors are per call.
type peer struct {
	pc     *webrtc.PeerConnection
	track  *webrtc.TrackLocalStaticSample
	sender *webrtc.RTPSender
	bind   *dtlsBinding
	plog   *pionLog

	mu    sync.Mutex
	stats stats.Getter
}

// dtlsRetransmit replaces pion's 1 s first DTLS retransmission, which with its
// backoff makes a handshake over a lossy radio link take seconds.
const dtlsRetransmit = 300 * time.Millisecond

func newPeer(cfg peerConfig) (*peer, error) {
	p := &peer{bind: &dtlsBinding{}, plog: &pionLog{log: cfg.log}}

	se := webrtc.SettingEngine{LoggerFactory: p.plog}
	profiles := cfg.srtpProfiles
	if profiles == nil {
		profiles = []dtls.SRTPProtectionProfile{dtls.SRTP_AEAD_AES_256_GCM}
	}
	se.SetSRTPProtectionProfiles(profiles...)
	se.SetDTLSCipherSuites(dtls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384)
	se.SetDTLSEllipticCurves(elliptic.P384) // CNSA 1.0 ECDHE; ML-KEM-1024 rides inside
	se.SetDTLSExtendedMasterSecret(dtls.RequireExtendedMasterSecret)
	// Verify the peer against the enrollment CA whichever DTLS role we get:
	// RootCAs when we are the client (the callee), ClientCAs when we are the
	// server (the caller).
	se.SetDTLSDisableInsecureSkipVerify(true)
	se.SetDTLSRootCAs(cfg.roots)
	se.SetDTLSClientAuth(dtls.RequireAndVerifyClientCert)
	se.SetDTLSClientCAs(cfg.roots)
	se.SetDTLSRetransmissionInterval(dtlsRetransmit)
	se.SetDTLSInsecureSkipHelloVerify(true) // ICE has already proven the path; saves a round trip
	se.SetDTLSConnectContextMaker(func() (context.Context, func()) {
		return context.WithTimeout(context.Background(), 10*time.Second)
	})
	se.SetDTLSKeyLogWriter(p.bind)
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
	// The relay-only 2 s stall (pion/webrtc#1635, pion/ice#324): accept relay
	// and peer-reflexive pairs at once.
	se.SetRelayAcceptanceMinWait(0)
	se.SetPrflxAcceptanceMinWait(0)
	se.SetICETimeouts(3*time.Second, 15*time.Second, time.Second)
	se.SetICEProxyDialer(&turnTLSDialer{id: cfg.id, roots: cfg.turnRoots})

	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(opusCodec, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("voice: register Opus: %w", err)
	}
	// Our stats interceptor must come before the RTCP report interceptor, or
	// it never sees our sender reports and the RTT stays 0: in an interceptor
	// chain, writers pass only through the interceptors before them.
	ir := &interceptor.Registry{}
	sf, err := stats.NewInterceptor()
	if err != nil {
		return nil, fmt.Errorf("voice: stats interceptor: %w", err)
	}
	sf.OnNewPeerConnection(func(_ string, g stats.Getter) {
		p.mu.Lock()
		p.stats = g
		p.mu.Unlock()
	})
	ir.Add(sf)
	if err := webrtc.ConfigureRTCPReports(ir); err != nil {
		return nil, fmt.Errorf("voice: RTCP reports: %w", err)
	}
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir))

	servers := make([]webrtc.ICEServer, len(cfg.ice))
	for i, s := range cfg.ice {
		servers[i] = webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential}
	}
	pool := uint8(0)
	if cfg.prewarm {
		pool = 1
	}
	pc, err := api.NewPeerConnection(webrtc.Configuration{
		ICECandidatePoolSize:      pool,
		Certificates:              []webrtc.Certificate{webrtc.CertificateFromX509(cfg.id.Key, cfg.id.Cert)},
		ICEServers:                servers,
		ICETransportPolicy:        webrtc.ICETransportPolicyRelay,
		BundlePolicy:              webrtc.BundlePolicyMaxBundle,
		RTCPMuxPolicy:             webrtc.RTCPMuxPolicyRequire,
		RTPHeaderEncryptionPolicy: webrtc.RTPHeaderEncryptionPolicyRequire, // RFC 9335 cryptex
	})
	if err != nil {
		return nil, fmt.Errorf("voice: peer connection: %w", err)
	}
	p.pc = pc
	p.track, err = webrtc.NewTrackLocalStaticSample(opusCodec.RTPCodecCapability, "audio", "mehfooz")
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("voice: track: %w", err)
	}
	tr, err := pc.AddTransceiverFromTrack(p.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendrecv})
	if err != nil {
		pc.Close()
		return nil, fmt.Errorf("voice: transceiver: %w", err)
	}
	p.sender = tr.Sender()
	return p, nil
}

// getter returns the stats interceptor's view, once pion has made it.
func (p *peer) getter() stats.Getter {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// gather waits until ICE gathering is complete, so the SDP carries every
// relay candidate and one signed message holds the whole description.
func gather(ctx context.Context, pc *webrtc.PeerConnection) (string, error) {
	done := webrtc.GatheringCompletePromise(pc)
	select {
	case <-done:
	case <-ctx.Done():
		return "", fmt.Errorf("voice: gather candidates: %w", ctx.Err())
	}
	ld := pc.LocalDescription()
	if ld == nil {
		return "", fmt.Errorf("voice: gather candidates: no local description")
	}
	// No relay candidate means the relay refused us (credentials, its TLS
	// certificate, a quota) or is out of reach: ringing the peer would only
	// lead to a call that cannot connect.
	if !strings.Contains(ld.SDP, "a=candidate:") {
		return "", errNoCandidates
	}
	return ld.SDP, nil
}

var errNoCandidates = errors.New("voice: no relay candidate: the TURN relay refused or is unreachable")

// turnTLSDialer is pion's route to TURN over TLS (turns: URLs): ice would
// otherwise trust the system roots and present no certificate.
// We present the handset certificate and trust only the operator's CA.
type turnTLSDialer struct {
	id    Identity
	roots *x509.CertPool
}

func (d *turnTLSDialer) Dial(network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("voice: TURN/TLS %s: %w", addr, err)
	}
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	conn, err := tls.DialWithDialer(dialer, network, addr, &tls.Config{
		MinVersion: tls.VersionTLS13,
		RootCAs:    d.roots,
		ServerName: host,
		Certificates: []tls.Certificate{{
			Certificate: [][]byte{d.id.Cert.Raw},
			PrivateKey:  d.id.Key,
			Leaf:        d.id.Cert,
		}},
	})
	if err != nil {
		return nil, fmt.Errorf("voice: TURN/TLS %s: %w", addr, err)
	}
	return conn, nil
}
