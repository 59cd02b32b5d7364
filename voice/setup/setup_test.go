package setup_test

import (
	"bytes"
	"crypto/mlkem"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/voice/internal/testpki"
	"mehfooz/voice/setup"
)

type world struct {
	ca             *testpki.CA
	alice, bob     testpki.Device
	dirA, dirB     *testpki.Directory
	clk            *clock.Fake
	atBob          *setup.Receiver
	aliceID, bobID setup.Identity
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{ca: testpki.NewCA(t, "enrollment")}
	w.alice, w.bob = w.ca.Device(t, "alice"), w.ca.Device(t, "bob")
	w.dirA = testpki.NewDirectory(w.ca.Pool).Add(w.alice, w.bob)
	w.dirB = testpki.NewDirectory(w.ca.Pool).Add(w.alice, w.bob)
	w.clk = clock.NewFake(time.Now())
	w.aliceID = identity(w.alice)
	w.bobID = identity(w.bob)
	w.atBob = setup.NewReceiver(w.bobID, w.dirB, w.clk)
	return w
}

func identity(d testpki.Device) setup.Identity {
	return setup.Identity{DeviceID: d.ID, Cert: d.Cert, Key: d.Key}
}

func sdpFor(fp [32]byte) string {
	return strings.Join([]string{
		"v=0", "o=- 1 2 IN IP4 0.0.0.0", "s=-", "t=0 0",
		"a=fingerprint:" + setup.FormatFingerprint(fp),
		"m=audio 9 UDP/TLS/RTP/SAVPF 111", "c=IN IP4 0.0.0.0", "a=rtpmap:111 opus/48000/2",
		"a=fingerprint:" + setup.FormatFingerprint(fp), "",
	}, "\r\n")
}

// invite is a valid invite from alice to bob.
func (w *world) invite(t *testing.T) *setup.Message {
	t.Helper()
	dk, err := mlkem.GenerateKey1024()
	if err != nil {
		t.Fatal(err)
	}
	m := &setup.Message{
		Kind: setup.KindInvite, To: "bob", ToFP: setup.Fingerprint(w.bob.Cert),
		Seq: 1, Time: w.clk.Now(), SDP: sdpFor(setup.Fingerprint(w.alice.Cert)),
		KEM: dk.EncapsulationKey().Bytes(), SAS: bytes.Repeat([]byte{1}, setup.CommitLen),
	}
	rand.Read(m.CallID[:])
	rand.Read(m.Nonce[:])
	return m
}

func TestInviteRoundTrip(t *testing.T) {
	w := newWorld(t)
	m := w.invite(t)
	raw, digest, err := setup.Sign(m, w.aliceID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := w.atBob.Open(raw)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if got.Digest != digest || got.From != "alice" || got.CallID != m.CallID || !bytes.Equal(got.KEM, m.KEM) ||
		got.SDP != m.SDP || !got.Time.Equal(m.Time.Truncate(time.Millisecond)) || got.Cert.Subject.CommonName != "alice" {
		t.Fatalf("opened %+v, sent %+v", got.Message, m)
	}
}

func TestEveryKindRoundTrips(t *testing.T) {
	w := newWorld(t)
	var ref [setup.RefLen]byte
	ref[0] = 1
	sdp := sdpFor(setup.Fingerprint(w.alice.Cert))
	for i, m := range []*setup.Message{
		{Kind: setup.KindRinging},
		{Kind: setup.KindAnswer, SDP: sdp, KEM: make([]byte, mlkem.CiphertextSize1024), SAS: make([]byte, setup.SASNonceLen)},
		{Kind: setup.KindReveal, SAS: make([]byte, setup.SASNonceLen)},
		{Kind: setup.KindDecline},
		{Kind: setup.KindBusy},
		{Kind: setup.KindHangUp, Reason: "hung-up"},
		{Kind: setup.KindRestart, SDP: sdp},
		{Kind: setup.KindRestartAnswer, SDP: sdp},
		{Kind: setup.KindHold, On: true},
		{Kind: setup.KindRefuse, Reason: "security: signature"},
	} {
		m.To, m.ToFP, m.Seq, m.Time, m.Ref = "bob", setup.Fingerprint(w.bob.Cert), uint32(i+2), w.clk.Now(), ref
		raw, _, err := setup.Sign(m, w.aliceID)
		if err != nil {
			t.Fatalf("%s: Sign: %v", m.Kind, err)
		}
		got, err := w.atBob.Open(raw)
		if err != nil {
			t.Fatalf("%s: Open: %v", m.Kind, err)
		}
		if got.Kind != m.Kind || got.Reason != m.Reason || got.On != m.On || got.Seq != m.Seq {
			t.Fatalf("%s: got %+v", m.Kind, got.Message)
		}
	}
}

// TestRefusals covers what the exchange, a rogue handset or a replay could do.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(t *testing.T, w *world) []byte
		want []error
	}{
		{"fingerprint swapped in transit", func(t *testing.T, w *world) []byte {
			raw, _, _ := setup.Sign(w.invite(t), w.aliceID)
			// The exchange puts its own certificate's fingerprint into the SDP.
			evil := setup.FormatFingerprint([32]byte{0xee})
			old := setup.FormatFingerprint(setup.Fingerprint(w.alice.Cert))
			return bytes.Replace(raw, []byte(old), []byte(evil), 1)
		}, []error{setup.ErrSignature}},
		{"any byte of the body altered", func(t *testing.T, w *world) []byte {
			raw, _, _ := setup.Sign(w.invite(t), w.aliceID)
			raw[200] ^= 1
			return raw
		}, []error{setup.ErrSignature}},
		{"signature of another key", func(t *testing.T, w *world) []byte {
			// Mallory signs alice's invite with her key and attaches alice's certificate.
			mallory := w.ca.Device(t, "mallory")
			raw, _, _ := setup.Sign(w.invite(t), setup.Identity{DeviceID: "alice", Cert: w.alice.Cert, Key: mallory.Key})
			return raw
		}, []error{setup.ErrSignature}},
		{"certificate from another CA", func(t *testing.T, w *world) []byte {
			rogue := testpki.NewCA(t, "rogue").Device(t, "alice")
			m := w.invite(t)
			m.SDP = sdpFor(setup.Fingerprint(rogue.Cert))
			raw, _, _ := setup.Sign(m, identity(rogue))
			return raw
		}, []error{setup.ErrPeer, testpki.ErrChain}},
		{"enrolled but not whitelisted", func(t *testing.T, w *world) []byte {
			eve := w.ca.Device(t, "eve")
			m := w.invite(t)
			m.SDP = sdpFor(setup.Fingerprint(eve.Cert))
			raw, _, _ := setup.Sign(m, identity(eve))
			return raw
		}, []error{setup.ErrPeer, testpki.ErrUnlisted}},
		{"second certificate for a whitelisted ID", func(t *testing.T, w *world) []byte {
			twin := w.ca.Device(t, "alice") // a compromised CA issues alice again
			m := w.invite(t)
			m.SDP = sdpFor(setup.Fingerprint(twin.Cert))
			raw, _, _ := setup.Sign(m, identity(twin))
			return raw
		}, []error{setup.ErrPeer, testpki.ErrNotListed}},
		{"revoked sender", func(t *testing.T, w *world) []byte {
			w.dirB.Revoke("alice")
			raw, _, _ := setup.Sign(w.invite(t), w.aliceID)
			return raw
		}, []error{setup.ErrPeer, testpki.ErrRevoked}},
		{"re-targeted to another device", func(t *testing.T, w *world) []byte {
			m := w.invite(t)
			m.To = "carol"
			raw, _, _ := setup.Sign(m, w.aliceID)
			return raw
		}, []error{setup.ErrRetargeted}},
		{"addressed to another certificate", func(t *testing.T, w *world) []byte {
			m := w.invite(t)
			m.ToFP[0] ^= 1
			raw, _, _ := setup.Sign(m, w.aliceID)
			return raw
		}, []error{setup.ErrRetargeted}},
		{"stale", func(t *testing.T, w *world) []byte {
			raw, _, _ := setup.Sign(w.invite(t), w.aliceID)
			w.clk.Advance(setup.MaxSkew + time.Second)
			return raw
		}, []error{setup.ErrStale}},
		{"from the future", func(t *testing.T, w *world) []byte {
			m := w.invite(t)
			m.Time = m.Time.Add(setup.MaxSkew + time.Second)
			raw, _, _ := setup.Sign(m, w.aliceID)
			return raw
		}, []error{setup.ErrStale}},
		{"replayed", func(t *testing.T, w *world) []byte {
			raw, _, _ := setup.Sign(w.invite(t), w.aliceID)
			if _, err := w.atBob.Open(raw); err != nil {
				t.Fatalf("first delivery: %v", err)
			}
			w.clk.Advance(time.Minute)
			return raw
		}, []error{setup.ErrReplay}},
		{"no inner layer", func(t *testing.T, w *world) []byte {
			m := w.invite(t)
			m.KEM = nil
			raw, _, err := setup.Sign(m, w.aliceID)
			if err != nil {
				t.Fatalf("Sign without KEM: %v", err)
			}
			return raw
		}, []error{setup.ErrNoInnerLayer}},
		{"SDP names another certificate", func(t *testing.T, w *world) []byte {
			m := w.invite(t)
			m.SDP = sdpFor([32]byte{1})
			raw, _, _ := setup.Sign(m, w.aliceID)
			return raw
		}, []error{setup.ErrFingerprint}},
		{"SDP without a fingerprint", func(t *testing.T, w *world) []byte {
			m := w.invite(t)
			m.SDP = "v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
			raw, _, _ := setup.Sign(m, w.aliceID)
			return raw
		}, []error{setup.ErrFingerprint}},
		{"SDP fingerprint with SHA-1", func(t *testing.T, w *world) []byte {
			m := w.invite(t)
			m.SDP = strings.Replace(m.SDP, "sha-256 ", "sha-1 ", 1)
			raw, _, _ := setup.Sign(m, w.aliceID)
			return raw
		}, []error{setup.ErrFingerprint}},
		{"oversize", func(t *testing.T, w *world) []byte {
			return make([]byte, setup.MaxEnvelope+1)
		}, []error{setup.ErrMalformed}},
		{"trailing byte", func(t *testing.T, w *world) []byte {
			raw, _, _ := setup.Sign(w.invite(t), w.aliceID)
			return append(raw, 0)
		}, []error{setup.ErrMalformed}},
		{"truncated", func(t *testing.T, w *world) []byte {
			raw, _, _ := setup.Sign(w.invite(t), w.aliceID)
			return raw[:len(raw)-1]
		}, []error{setup.ErrMalformed}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			raw := tc.do(t, w)
			got, err := w.atBob.Open(raw)
			if err == nil {
				t.Fatalf("accepted: %+v", got.Message)
			}
			for _, want := range tc.want {
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want %v", err, want)
				}
			}
		})
	}
}

func TestSignRefusesBadMessages(t *testing.T) {
	w := newWorld(t)
	for name, mut := range map[string]func(m *setup.Message){
		"unknown kind":       func(m *setup.Message) { m.Kind = 99 },
		"empty recipient":    func(m *setup.Message) { m.To = "" },
		"control characters": func(m *setup.Message) { m.To = "bob\n" },
		"sequence 0":         func(m *setup.Message) { m.Seq = 0 },
		"invite with a ref":  func(m *setup.Message) { m.Ref[0] = 1 },
		"short KEM":          func(m *setup.Message) { m.KEM = m.KEM[:100] },
		"reason on invite":   func(m *setup.Message) { m.Reason = "x" },
		"hold on invite":     func(m *setup.Message) { m.On = true },
		"no SDP":             func(m *setup.Message) { m.SDP = "" },
		"long SDP":           func(m *setup.Message) { m.SDP = strings.Repeat("a", setup.MaxSDP+1) },
	} {
		m := w.invite(t)
		mut(m)
		if _, _, err := setup.Sign(m, w.aliceID); !errors.Is(err, setup.ErrMalformed) {
			t.Errorf("%s: Sign err = %v, want ErrMalformed", name, err)
		}
	}
	rsa := w.aliceID
	rsa.Cert = nil
	if _, _, err := setup.Sign(w.invite(t), rsa); !errors.Is(err, setup.ErrCertificate) {
		t.Errorf("no certificate: %v", err)
	}
}

func TestPeekIsUnverified(t *testing.T) {
	w := newWorld(t)
	m := w.invite(t)
	raw, digest, _ := setup.Sign(m, w.aliceID)
	raw[len(raw)-3] ^= 0xff // break the signature
	got, d, err := setup.Peek(raw)
	if err != nil || got.From != "alice" || d != digest {
		t.Fatalf("Peek: %+v %v", got, err)
	}
	if _, err := w.atBob.Open(raw); !errors.Is(err, setup.ErrSignature) {
		t.Fatalf("Open of the same bytes: %v", err)
	}
}

func TestReplayMemoryIsBounded(t *testing.T) {
	w := newWorld(t)
	raw, _, _ := setup.Sign(w.invite(t), w.aliceID)
	if _, err := w.atBob.Open(raw); err != nil {
		t.Fatal(err)
	}
	// A minute later the same message is still remembered, whatever else came in.
	w.clk.Advance(time.Minute)
	for i := range 50 {
		m := w.invite(t)
		m.Seq = uint32(i + 1)
		r, _, _ := setup.Sign(m, w.aliceID)
		if _, err := w.atBob.Open(r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.atBob.Open(raw); !errors.Is(err, setup.ErrReplay) {
		t.Fatalf("replay after other traffic: %v", err)
	}
}
