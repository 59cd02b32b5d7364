package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"mehfooz/clock"
	"mehfooz/daemon"
	"mehfooz/daemon/api"
	"mehfooz/daemon/state"
	"mehfooz/trust"
	"mehfooz/trust/ca"
	"mehfooz/trust/keystore"
	"mehfooz/trust/seal"
)

type fakePhoned struct {
	hub     *state.Hub
	intents chan state.Intent
}

func (f *fakePhoned) Subscribe() (<-chan state.Snapshot, func()) { return f.hub.Subscribe() }
func (f *fakePhoned) Intent(_ context.Context, in state.Intent) error {
	if in.Kind == state.IntentAnswer {
		return fmt.Errorf("answer: %w: no incoming call", api.ErrRejected)
	}
	cp := in
	cp.PIN = append([]byte(nil), in.PIN...)
	f.intents <- cp
	return nil
}
func (f *fakePhoned) EnrollRequest(context.Context) ([]byte, error)    { return nil, api.ErrRejected }
func (f *fakePhoned) InstallCertificate(context.Context, []byte) error { return api.ErrRejected }
func (f *fakePhoned) Screenshot(context.Context) ([]byte, error)       { return []byte("\x89PNG..."), nil }

func startPhoned(t *testing.T, snap state.Snapshot) (*fakePhoned, string) {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "api.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePhoned{hub: state.NewHub(clock.Real{}, snap), intents: make(chan state.Intent, 4)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- api.NewServer(f, slog.New(slog.DiscardHandler), nil).Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	return f, sock
}

func TestStatusPrintsWhatATechnicianNeeds(t *testing.T) {
	_, sock := startPhoned(t, state.Snapshot{
		Board: "sim", DeviceID: "pk-gov-0001",
		Modem: state.Modem{Phase: state.ModemDataUp, SIM: state.SIMReady, ICCID: "8992********1234", IMSI: "41001*******123",
			PLMN: "41001", Operator: "Jazz", RAT: "LTE", Bars: 4, RSSIdBm: -71, APN: "gov.secure", IP: "10.20.0.7"},
		Alerts: []state.Alert{{Kind: state.AlertBaseband, Severity: state.SeverityCritical, Title: "Incoming voice call refused", Text: "RING hung up"}},
	})
	e, out, errb := testEnv()
	if code := run(context.Background(), e, []string{"status", "--socket", sock}); code != 0 {
		t.Fatalf("status exited %d: %s", code, errb)
	}
	for _, want := range []string{"data-up", "ready", "8992********1234", "41001*******123", "Jazz (41001)", "LTE", "4/5 bars, -71 dBm", "apn gov.secure", "ip 10.20.0.7", "[critical] Incoming voice call refused"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status output lacks %q:\n%s", want, out)
		}
	}
}

func TestStatusWaitTimesOutWithReason(t *testing.T) {
	_, sock := startPhoned(t, state.Snapshot{Modem: state.Modem{Phase: state.ModemSearching}})
	e, _, errb := testEnv()
	if code := run(context.Background(), e, []string{"status", "--socket", sock, "--wait", "data-up", "--timeout", "3s"}); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(errb.String(), `modem still "searching"`) {
		t.Fatalf("stderr = %q", errb)
	}
}

func TestStatusWithoutDaemonSaysSo(t *testing.T) {
	e, _, errb := testEnv()
	if code := run(context.Background(), e, []string{"status", "--socket", filepath.Join(t.TempDir(), "none")}); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(errb.String(), "is phoned running?") {
		t.Fatalf("stderr = %q", errb)
	}
}

func TestCallAndUnlockSendIntents(t *testing.T) {
	f, sock := startPhoned(t, state.Snapshot{})
	e, _, errb := testEnv()
	if code := run(context.Background(), e, []string{"call", "--socket", sock, "dial", "pk-gov-0002"}); code != 0 {
		t.Fatalf("dial exited %d: %s", code, errb)
	}
	if in := <-f.intents; in.Kind != state.IntentDial || in.ContactID != "pk-gov-0002" {
		t.Fatalf("intent = %+v", in)
	}
	e.stdin = strings.NewReader("2468\n")
	if code := run(context.Background(), e, []string{"unlock", "--socket", sock}); code != 0 {
		t.Fatalf("unlock exited %d: %s", code, errb)
	}
	if in := <-f.intents; in.Kind != state.IntentUnlock || string(in.PIN) != "2468" {
		t.Fatalf("intent = %+v", in)
	}
	if code := run(context.Background(), e, []string{"unlock", "--socket", sock, "2468"}); code != 2 {
		t.Fatalf("PIN on the command line: exit %d, want 2", code)
	}
	if code := run(context.Background(), e, []string{"call", "--socket", sock, "answer"}); code != 1 || !strings.Contains(errb.String(), "no incoming call") {
		t.Fatalf("rejected answer: exit %d, stderr %q", code, errb)
	}
	if code := run(context.Background(), e, []string{"call", "--socket", sock, "fly"}); code != 2 {
		t.Fatalf("unknown action: exit %d, want 2", code)
	}
}

func TestScreenshotWritesFile(t *testing.T) {
	_, sock := startPhoned(t, state.Snapshot{})
	out := filepath.Join(t.TempDir(), "shot.png")
	e, _, errb := testEnv()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if code := run(ctx, e, []string{"screenshot", "--socket", sock, "-o", out}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "\x89PNG..." {
		t.Fatalf("file = %q, %v", b, err)
	}
}

// enrollable makes an enrollment CA (in dir/ca, passphrase in passFile)
// and a real daemon of board with the keystore of pk-gov-0009, not yet set
// up, for the enrollment commands to work on.
func enrollable(t *testing.T, board string) (dir string, e *env, caDir, passFile string, d *daemon.Daemon, keys *daemon.Keys) {
	t.Helper()
	dir = t.TempDir()
	caDir, passFile = filepath.Join(dir, "ca"), filepath.Join(dir, "pass")
	os.WriteFile(passFile, []byte("correct horse battery\n"), 0o600)
	e = trustEnv(nil)
	if code, _, stderr := runIn(t, e, append([]string{"ca", "init", "--dir", caDir, "--passphrase-file", passFile}, cheapKDF...)...); code != 0 {
		t.Fatalf("ca init: %s", stderr)
	}
	caPEM, _ := os.ReadFile(filepath.Join(caDir, ca.CertFile))
	anchor, _ := ca.ParseCertificatePEM(caPEM)
	v, _ := trust.NewVerifier(anchor, clock.Real{})
	d = daemon.New(clock.Real{}, slog.New(slog.DiscardHandler), state.Snapshot{Board: board})
	keys, err := daemon.NewKeys(d, filepath.Join(dir, "ks"), keystore.FileSecret{Path: filepath.Join(dir, "secret")}, "pk-gov-0009", v,
		keystore.Options{Params: seal.Test})
	if err != nil {
		t.Fatal(err)
	}
	return dir, e, caDir, passFile, d, keys
}

// TestEnrollRunningHandset enrolls a real daemon's keystore through its
// local API, as a technician does at the bench.
func TestEnrollRunningHandset(t *testing.T) {
	dir, e, caDir, passFile, d, keys := enrollable(t, "sim")
	sock := filepath.Join(dir, "api.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- api.NewServer(d, slog.New(slog.DiscardHandler), nil).Serve(ctx, ln) }()
	defer func() { cancel(); <-done }()

	args := []string{"enroll", "--ca", caDir, "--passphrase-file", passFile, "--socket", sock, "--device", "pk-gov-0009"}
	if code, _, stderr := runIn(t, e, args...); code != 1 || !strings.Contains(stderr, "unlock the handset first") {
		t.Fatalf("enroll of a locked handset: code %d, stderr %q", code, stderr)
	}
	e.stdin = strings.NewReader("246810\n")
	if code, _, stderr := runIn(t, e, "unlock", "--socket", sock); code != 0 {
		t.Fatalf("unlock: %s", stderr)
	}
	// A handset asking for another ID than the technician's records say
	// gets nothing.
	wrong := append(append([]string(nil), args[:len(args)-1]...), "pk-gov-0001")
	if code, _, stderr := runIn(t, e, wrong...); code != 1 || !strings.Contains(stderr, "nothing was issued") {
		t.Fatalf("enroll with another ID: code %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runIn(t, e, "enroll", "--ca", caDir, "--passphrase-file", passFile, "--socket", sock); code != 2 || !strings.Contains(stderr, "--device") {
		t.Fatalf("enroll over the socket without --device: code %d, stderr %q", code, stderr)
	}
	code, out, stderr := runIn(t, e, args...)
	if code != 0 || !strings.Contains(out, "enrolled pk-gov-0009") {
		t.Fatalf("enroll: code %d out %q err %q", code, out, stderr)
	}
	select {
	case <-keys.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("handset not ready after enrollment")
	}
}

func TestProvisionWritesWhatTheHandsetLoads(t *testing.T) {
	dir := t.TempDir()
	caDir, passFile := filepath.Join(dir, "ca"), filepath.Join(dir, "pass")
	os.WriteFile(passFile, []byte("correct horse battery\n"), 0o600)
	e := trustEnv(nil)
	if code, _, stderr := runIn(t, e, append([]string{"ca", "init", "--dir", caDir, "--passphrase-file", passFile}, cheapKDF...)...); code != 0 {
		t.Fatalf("ca init: %s", stderr)
	}
	out := filepath.Join(dir, "prov.json")
	code, _, stderr := runIn(t, e, "provision", "--ca", caDir, "--device", "pk-gov-0003", "--exchange", "10.0.2.2:7443",
		"--apn", "41001=gov.secure.jazz", "--apn", "41004=gov.secure.zong", "-o", out)
	if code != 0 {
		t.Fatalf("provision: %s", stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := daemon.LoadProvisioning(f, "")
	if err != nil || p.DeviceID != "pk-gov-0003" {
		t.Fatalf("handset loads %+v, %v", p, err)
	}
	for _, bad := range [][]string{
		{"--apn", "41001=internet"},           // a public internet APN
		{"--apn", "41001"},                    // no APN
		{"--apn", "41001=x", "--rats", "GSM"}, // 2G
	} {
		args := append([]string{"provision", "--ca", caDir, "--device", "pk-gov-0003", "--exchange", "h:1", "-o", filepath.Join(dir, "x.json")}, bad...)
		if code, _, _ := runIn(t, e, args...); code == 0 {
			t.Errorf("provision %v succeeded", bad)
		}
	}
}

func TestVoiceScore(t *testing.T) {
	e := trustEnv(nil)
	ref := filepath.Join("..", "..", "voice", "audio", "testdata", "speech48k.wav")
	code, out, stderr := runIn(t, e, "voice", "score", "--sent", ref, "--heard", ref)
	if code != 0 || !strings.Contains(out, "stoi 1.000") {
		t.Fatalf("identical files: code %d out %q err %q", code, out, stderr)
	}
	if code, _, _ := runIn(t, e, "voice", "score", "--sent", ref); code != 2 {
		t.Fatalf("missing --heard: code %d, want 2", code)
	}
	if code, _, stderr := runIn(t, e, "voice", "score", "--sent", ref, "--heard", "phoned.go"); code != 1 || stderr == "" {
		t.Fatalf("not a WAV: code %d err %q", code, stderr)
	}
}
