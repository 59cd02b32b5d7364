package voice

import (
	"bytes"
	"crypto/x509"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/webrtc/v4"

	"mehfooz/voice/internal/testpki"
)

// peerPair connects two bare peer connections through the relay, handing the
// SDPs across directly (no signed signaling): the DTLS settings alone decide.
// It returns once each side is connected, failed or closed.
func peerPair(t *testing.T, r *relay, offer, answer peerConfig) (*peer, *peer) {
	t.Helper()
	mk := func(cfg peerConfig) *peer {
		cfg.ice = r.servers(cfg.id.DeviceID, r.udpURL())
		cfg.log = slog.New(slog.NewTextHandler(io.Discard, nil))
		if cfg.turnRoots == nil {
			cfg.turnRoots = cfg.roots
		}
		p, err := newPeer(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.pc.Close() })
		return p
	}
	o, a := mk(offer), mk(answer)
	od, err := o.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.pc.SetLocalDescription(od); err != nil {
		t.Fatal(err)
	}
	<-webrtc.GatheringCompletePromise(o.pc)
	if err := a.pc.SetRemoteDescription(*o.pc.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	ad, err := a.pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.pc.SetLocalDescription(ad); err != nil {
		t.Fatal(err)
	}
	<-webrtc.GatheringCompletePromise(a.pc)
	if err := o.pc.SetRemoteDescription(*a.pc.LocalDescription()); err != nil {
		t.Fatal(err)
	}
	settled := func(p *peer) bool {
		switch p.pc.ConnectionState() {
		case webrtc.PeerConnectionStateConnected, webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			return true
		}
		return false
	}
	deadline := time.Now().Add(10 * time.Second)
	for !(settled(o) && settled(a)) {
		if time.Now().After(deadline) {
			t.Fatalf("peers did not settle: offerer %s, answerer %s", o.pc.ConnectionState(), a.pc.ConnectionState())
		}
		time.Sleep(5 * time.Millisecond)
	}
	// A failed side logs why just after its state changes.
	for _, p := range []*peer{o, a} {
		for p.pc.ConnectionState() != webrtc.PeerConnectionStateConnected && dtlsCheck(p.plog.lines()) == CheckDTLS && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	return o, a
}

func honest(ca *testpki.CA, d testpki.Device) peerConfig {
	return peerConfig{id: Identity{DeviceID: d.ID, Cert: d.Cert, Key: d.Key}, roots: ca.Pool}
}

func TestPeersConnectAndShareBinding(t *testing.T) {
	checkGoroutines(t)
	r := newRelay(t, nil)
	ca := testpki.NewCA(t, "enrollment")
	o, a := peerPair(t, r, honest(ca, ca.Device(t, "alice")), honest(ca, ca.Device(t, "bob")))
	for _, p := range []*peer{o, a} {
		if st := p.pc.ConnectionState(); st != webrtc.PeerConnectionStateConnected {
			t.Fatalf("state %s, want connected (pion said %v)", st, p.plog.lines())
		}
		if err := checkNegotiated(p.pc); err != nil {
			t.Fatalf("negotiated: %v", err)
		}
	}
	bo, err1 := o.bind.get()
	ba, err2 := a.bind.get()
	if err1 != nil || err2 != nil || len(bo) != 48 || !bytes.Equal(bo, ba) {
		t.Fatalf("DTLS bindings differ or are missing: %x (%v) / %x (%v)", bo, err1, ba, err2)
	}
	// The relay carried it: both selected pairs are relay candidates.
	for _, p := range []*peer{o, a} {
		pair, err := p.pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
		if err != nil || pair == nil || pair.Local.Typ != webrtc.ICECandidateTypeRelay {
			t.Fatalf("selected pair %v (%v), want a local relay candidate", pair, err)
		}
	}
}

// TestDTLSRefusesOtherCA: a peer whose certificate comes from another CA is
// refused by DTLS itself, whichever role it has (the caller is the DTLS
// server, the callee the client).
func TestDTLSRefusesOtherCA(t *testing.T) {
	checkGoroutines(t)
	r := newRelay(t, nil)
	ca, rogueCA := testpki.NewCA(t, "enrollment"), testpki.NewCA(t, "rogue")
	good := honest(ca, ca.Device(t, "alice"))
	both := x509.NewCertPool()
	both.AddCert(ca.Cert)
	both.AddCert(rogueCA.Cert)
	rogue := peerConfig{id: honest(rogueCA, rogueCA.Device(t, "mallory")).id, roots: both}
	for _, tc := range []struct {
		name        string
		offer, answ peerConfig
		honestIsOff bool
	}{
		{"rogue callee", good, rogue, true},
		{"rogue caller", rogue, good, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, a := peerPair(t, r, tc.offer, tc.answ)
			h := a
			if tc.honestIsOff {
				h = o
			}
			if st := h.pc.ConnectionState(); st == webrtc.PeerConnectionStateConnected {
				t.Fatal("honest peer connected to a peer of another CA")
			}
			if got := dtlsCheck(h.plog.lines()); got != CheckDTLSCertificate {
				t.Fatalf("check %q from %v, want %q", got, h.plog.lines(), CheckDTLSCertificate)
			}
		})
	}
}

// TestDTLSRefusesWeakerSRTP: a peer that offers only AES128_CM_HMAC_SHA1_80
// gets no SRTP at all, in either role.
func TestDTLSRefusesWeakerSRTP(t *testing.T) {
	checkGoroutines(t)
	r := newRelay(t, nil)
	ca := testpki.NewCA(t, "enrollment")
	good := honest(ca, ca.Device(t, "alice"))
	weak := honest(ca, ca.Device(t, "bob"))
	weak.srtpProfiles = []dtls.SRTPProtectionProfile{dtls.SRTP_AES128_CM_HMAC_SHA1_80, dtls.SRTP_AEAD_AES_128_GCM}
	for _, tc := range []struct {
		name        string
		offer, answ peerConfig
		honestIsOff bool
		want        Check
	}{
		// The caller is the DTLS server and sees what the client offers.
		{"weak callee", good, weak, true, CheckSRTPProfile},
		// The callee, a DTLS client, only gets the weak server's alert.
		{"weak caller", weak, good, false, CheckDTLSParameters},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, a := peerPair(t, r, tc.offer, tc.answ)
			h := a
			if tc.honestIsOff {
				h = o
			}
			if st := h.pc.ConnectionState(); st == webrtc.PeerConnectionStateConnected {
				t.Fatal("honest peer connected with a weaker SRTP profile")
			}
			if got := dtlsCheck(h.plog.lines()); got != tc.want {
				t.Fatalf("check %q from %v, want %q", got, h.plog.lines(), tc.want)
			}
			if testing.Verbose() {
				t.Log(h.plog.lines())
			}
		})
	}
}
