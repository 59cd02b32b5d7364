package qemu

import (
	"context"
	"fmt"
	"image/png"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"mehfooz/daemon/api"
	"mehfooz/daemon/pid1"
	"mehfooz/daemon/state"
	"mehfooz/image"
	"mehfooz/voice/audio"
)

// TestTwoHandsets is the harness of make qemu-demo: the exchange on the
// host's loopback, two emulated handsets booted from one signed fleet image
// (each flashed with its own device ID, with its own disk and modem
// simulator), reaching the exchange only through QEMU's user network as
// 10.0.2.2. Each owner chooses a PIN on the keypad; the technician enrolls
// each handset over its bench line and publishes a directory; Ayesha dials
// Bilal on her keypad, Bilal answers on his, both screens show the same
// security code, both confirm it, and Ayesha hangs up. Screens of each step
// are saved.
func TestTwoHandsets(t *testing.T) {
	if os.Getenv("MEHFOOZ_QEMU_DEMO") != "1" {
		t.Skip("boots two QEMU handsets: make qemu-demo")
	}
	f := newBootFixture(t)
	out := os.Getenv("MEHFOOZ_QEMU_DEMO_OUT")
	if out == "" {
		out = t.TempDir()
	}
	bin := filepath.Join(f.dir, "bin")
	for _, pkg := range []string{"./cmd/phonectl", "./cmd/exchange", "./cmd/modemsim"} {
		cmd := exec.Command("go", "build", "-o", bin+"/", pkg)
		cmd.Dir = "../.."
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, b)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	say := func(format string, args ...any) { t.Logf("== "+format, args...) }

	// The technician's bench: the enrollment CA, the exchange's certificate
	// for 10.0.2.2, the publisher's and the technician's.
	caDir := filepath.Join(f.dir, "ca")
	env := append(os.Environ(), "MEHFOOZ_CA_PASSPHRASE=qemu-demo-passphrase",
		"MEHFOOZ_EXCHANGE=127.0.0.1:27444", "MEHFOOZ_CA_CERT="+filepath.Join(caDir, "ca.pem"),
		"MEHFOOZ_TECH_CERT="+filepath.Join(f.dir, "tech.pem"), "MEHFOOZ_TECH_KEY="+filepath.Join(f.dir, "tech.key"))
	runIn := func(stdin, name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, filepath.Join(bin, name), args...)
		cmd.Env, cmd.Dir, cmd.Stdin = env, f.dir, strings.NewReader(stdin)
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, b)
		}
		return string(b)
	}
	run := func(name string, args ...string) string { t.Helper(); return runIn("", name, args...) }
	run("phonectl", "ca", "init", "--dir", caDir, "--kdf-memory", "1", "--kdf-time", "1")
	run("phonectl", "ca", "issue", "--ca", caDir, "--role", "exchange", "--host", "10.0.2.2,127.0.0.1", "--out", filepath.Join(f.dir, "exchange"))
	run("phonectl", "ca", "issue", "--ca", caDir, "--role", "publisher", "--name", "publisher", "--out", filepath.Join(f.dir, "publisher"))
	run("phonectl", "ca", "issue", "--ca", caDir, "--role", "technician", "--name", "tech-qemu", "--out", filepath.Join(f.dir, "tech"))
	start := func(logName, name string, args ...string) {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, name), args...)
		log, _ := os.Create(filepath.Join(out, logName+".log"))
		cmd.Stdout, cmd.Stderr = log, log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); log.Close() })
	}
	say("exchange on the host: signaling 127.0.0.1:27443, technician API :27444, TURN/UDP :23478 (10.0.2.2 for the guests)")
	start("exchange", "exchange", "--listen", "127.0.0.1:27443", "--admin", "127.0.0.1:27444", "--turn-tls", "",
		"--turn-udp", "127.0.0.1:23478", "--relay-ip", "127.0.0.1", "--turn-host", "10.0.2.2",
		"--ca", filepath.Join(caDir, "ca.pem"), "--cert", filepath.Join(f.dir, "exchange.pem"), "--key", filepath.Join(f.dir, "exchange.key"),
		"--publisher-cert", filepath.Join(f.dir, "publisher.pem"), "--publisher-key", filepath.Join(f.dir, "publisher.key"),
		"--db", filepath.Join(f.dir, "exchange.db"))

	say("one signed fleet image: exchange 10.0.2.2:27443, the CA, every operator's private APN")
	prov := filepath.Join(f.dir, "provision.json")
	run("phonectl", "provision", "--ca", caDir, "--exchange", "10.0.2.2:27443",
		"--apn", "41001=gov.secure.jazz", "--apn", "41004=gov.secure.zong", "-o", prov)
	var err error
	if f.ca, err = os.ReadFile(filepath.Join(caDir, "ca.pem")); err != nil {
		t.Fatal(err)
	}
	if f.provision, err = os.ReadFile(prov); err != nil {
		t.Fatal(err)
	}
	imgPath, pubPath := filepath.Join(f.dir, "fleet.img"), filepath.Join(f.dir, "image-keys.pem")
	pubs, _ := image.MarshalPublicKeys(f.keys()...)
	os.WriteFile(pubPath, pubs, 0o644)
	os.WriteFile(imgPath, f.build(t, 1), 0o644)

	type handset struct {
		name, owner, id, plmn string
		simPIN                string // the SIM asks for this PIN at power-on; empty: none
		heard                 string // WAV file of what its sound card played
		m                     *Machine
		bench                 *api.Client
		qmp                   *QMP
	}
	hs := []*handset{{name: "ayesha", owner: "Ayesha Khan", id: "pk-gov-0001", plmn: "41001"}, {name: "bilal", owner: "Bilal Raza", id: "pk-gov-0002", plmn: "41004", simPIN: "4321"}}
	var wg sync.WaitGroup
	for _, h := range hs {
		dir := filepath.Join(f.dir, h.name)
		os.MkdirAll(dir, 0o755)
		disk := filepath.Join(dir, "disk.img")
		say("flash %s's handset with device ID %s", h.owner, h.id)
		run("phonectl", "flash", "--board", f.board.Name, "--pub", pubPath, "--image", imgPath, "--target", disk,
			"--format", "--size", "256M", "--slot-size", "32M", "--device-id", h.id)
		sock := filepath.Join(dir, "modem.sock")
		simArgs := []string{"--log-level", "warn", "--socket", sock, "--plmn", h.plmn}
		if h.simPIN != "" {
			simArgs = append(simArgs, "--sim", "pin", "--pin", h.simPIN)
		}
		start("modemsim-"+h.name, "modemsim", simArgs...)
		for range 100 {
			if _, err := os.Stat(sock); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		// The board's sound card (AC97) plays into a WAV file on the host.
		h.heard = filepath.Join(out, h.name+"-heard.wav")
		m, err := Boot(ctx, Config{Board: f.board, Disk: disk, Keys: f.keys(), Dir: dir, ModemSocket: sock, Audio: h.heard})
		if err != nil {
			t.Fatal(err)
		}
		h.m = m
		t.Cleanup(func() {
			os.WriteFile(filepath.Join(out, "console-"+h.name+".log"), []byte(strings.Join(m.Console(), "\n")+"\n"), 0o644)
			m.Kill()
		})
		h.bench = api.NewBenchClient(func(ctx context.Context) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", m.BenchPath)
		})
		defer h.bench.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, at, err := m.WaitLine(ctx, pid1.ReadyLine); err != nil {
				t.Errorf("handset %s: %v", h.name, err)
			} else {
				t.Logf("%s's handset ready %.1fs after its QEMU started", h.owner, at.Seconds())
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, h := range hs {
		if h.qmp, err = h.m.DialQMP(ctx); err != nil {
			t.Fatal(err)
		}
		defer h.qmp.Close()
	}
	// state polls a handset over its bench line until ok says yes.
	// pollState reads a handset's state over its bench line (the view a
	// technician gets: no contacts, no call peer) until ok says yes.
	pollState := func(h *handset, limit time.Duration, ok func(state.Snapshot) bool) (state.Snapshot, error) {
		deadline := time.Now().Add(limit)
		var s state.Snapshot
		var err error
		for time.Now().Before(deadline) {
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			s, err = h.bench.State(rctx)
			cancel()
			// QEMU's bench socket takes one client at a time: hang up, so
			// the technician's phonectl can get through.
			h.bench.Close()
			if err == nil && ok(s) {
				return s, nil
			}
			time.Sleep(250 * time.Millisecond)
		}
		if err == nil {
			err = fmt.Errorf("not within %v (last state %+v)", limit, s)
		}
		return s, err
	}
	waitState := func(h *handset, what string, limit time.Duration, ok func(state.Snapshot) bool) state.Snapshot {
		t.Helper()
		s, err := pollState(h, limit, ok)
		if err != nil {
			t.Fatalf("%s: %s: %v", h.owner, what, err)
		}
		return s
	}
	press := func(h *handset, keys ...string) {
		t.Helper()
		for _, k := range keys {
			if err := h.qmp.SendKeys(ctx, k); err != nil {
				t.Fatalf("%s: key %s: %v", h.owner, k, err)
			}
			time.Sleep(150 * time.Millisecond)
		}
	}
	shot := func(h *handset, step string) {
		t.Helper()
		screenshot(t, ctx, h.qmp, filepath.Join(out, h.name+"-"+step+".png"))
	}

	pin := []string{"2", "4", "6", "8", "1", "0"}
	for _, h := range hs {
		waitState(h, "the PIN set-up screen", 60*time.Second, func(s state.Snapshot) bool { return s.Lock.Setup })
		shot(h, "1-choose-pin")
		say("%s chooses a PIN on the keypad, twice", h.owner)
		press(h, append(append(pin, "ret"), append(pin, "ret")...)...)
	}
	for _, h := range hs {
		waitState(h, "unlocked", 2*time.Minute, func(s state.Snapshot) bool { return !s.Lock.Locked && !s.Lock.Setup })
		say("the technician enrolls %s's handset over its bench line and registers it", h.owner)
		cert := filepath.Join(f.dir, h.name+".pem")
		t.Logf("%s", strings.TrimSpace(run("phonectl", "enroll", "--ca", caDir, "--bench", h.m.BenchPath, "--device", h.id, "--out", cert)))
		run("phonectl", "register", cert)
		if h.simPIN == "" {
			continue
		}
		s := waitState(h, "the SIM asking for its PIN", 60*time.Second, func(s state.Snapshot) bool { return s.Modem.SIM == state.SIMPIN })
		say("%s's SIM asks for its PIN (modem %s: %s); the technician stores it over the bench line", h.owner, s.Modem.Phase, s.Modem.Detail)
		runIn(h.simPIN+"\n", "phonectl", "pin", "--bench", h.m.BenchPath, "sim")
		s = waitState(h, "data up with the stored SIM PIN", 2*time.Minute, func(s state.Snapshot) bool { return s.Modem.Phase == state.ModemDataUp })
		say("%s's modem took the PIN from the keystore: %s on %s %s, APN %s", h.owner, s.Modem.Phase, s.Modem.RAT, s.Modem.Operator, s.Modem.APN)
	}
	say("the technician publishes the signed directory: who may call whom")
	dirJSON := filepath.Join(f.dir, "directory.json")
	os.WriteFile(dirJSON, []byte(`{
  "entries": [
    {"id": "pk-gov-0001", "name": "Ayesha Khan", "office": "Joint Secretary, Ministry of Interior", "certificate": "ayesha.pem", "groups": ["cabinet"]},
    {"id": "pk-gov-0002", "name": "Bilal Raza", "office": "Director, Cabinet Division", "certificate": "bilal.pem", "groups": ["cabinet"]}
  ],
  "rules": [{"from": "cabinet", "to": "cabinet"}]
}
`), 0o644)
	run("phonectl", "directory", "publish", "--source", dirJSON,
		"--publisher-cert", filepath.Join(f.dir, "publisher.pem"), "--publisher-key", filepath.Join(f.dir, "publisher.key"))
	run("phonectl", "revoke", "--refresh",
		"--publisher-cert", filepath.Join(f.dir, "publisher.pem"), "--publisher-key", filepath.Join(f.dir, "publisher.key"))
	for _, h := range hs {
		waitState(h, "connected to the exchange with the directory", 2*time.Minute, func(s state.Snapshot) bool {
			return s.Link.Connected && s.Link.Directory > 0
		})
	}
	for _, h := range hs {
		shot(h, "2-contacts")
	}

	// The contacts list shows Bilal online once the exchange says so;
	// until then Call does nothing, and Ayesha presses it again.
	say("Ayesha presses Call on Bilal's entry; Bilal's handset rings and he presses Call to answer")
	ringing := func(s state.Snapshot) bool { return s.Call.Phase == state.CallIncoming }
	for try := 1; ; try++ {
		press(hs[0], "f3")
		if _, err := pollState(hs[1], 10*time.Second, ringing); err == nil {
			break
		} else if try == 6 {
			t.Fatalf("Bilal's handset never rang: %v", err)
		}
	}
	shot(hs[0], "3-ringing")
	shot(hs[1], "3-incoming")
	press(hs[1], "f3")
	connected := func(s state.Snapshot) bool { return s.Call.Phase == state.CallConnected && s.Call.SAS != "" }
	a := waitState(hs[0], "the call connected", 90*time.Second, connected)
	b := waitState(hs[1], "the call connected", 90*time.Second, connected)
	say("security code on Ayesha's screen %q, on Bilal's %q", a.Call.SAS, b.Call.SAS)
	if a.Call.SAS != b.Call.SAS {
		t.Fatalf("the codes differ: %q and %q", a.Call.SAS, b.Call.SAS)
	}
	for _, h := range hs {
		shot(h, "4-in-call")
	}
	say("both read the code aloud, it matches: each picks the right-hand button and presses OK")
	for _, h := range hs {
		press(h, "right", "ret")
	}
	for _, h := range hs {
		s := waitState(h, "the code confirmed", 30*time.Second, func(s state.Snapshot) bool { return s.Call.SASVerdict != "" })
		if s.Call.Phase != state.CallConnected {
			t.Fatalf("%s: after confirming the code the call is %q", h.owner, s.Call.Phase)
		}
		t.Logf("%s: %s", h.owner, callLine(s))
	}
	time.Sleep(5 * time.Second) // speech (the board's test tone) flows
	for _, h := range hs {
		s := waitState(h, "call figures", 30*time.Second, func(s state.Snapshot) bool { return s.Call.Phase == state.CallConnected })
		t.Logf("%s: %s", h.owner, callLine(s))
		shot(h, "5-verified")
	}
	say("Ayesha hangs up")
	press(hs[0], "f4")
	for _, h := range hs {
		waitState(h, "the call ended", 30*time.Second, func(s state.Snapshot) bool { return s.Call.Phase == state.CallEnded || s.Call.Phase == state.CallIdle })
	}
	shot(hs[1], "6-ended")
	say("power button on both: phoned powers off cleanly")
	for _, h := range hs {
		if err := h.qmp.PowerButton(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range hs {
		wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		err := h.m.Wait(wctx)
		cancel()
		if err != nil {
			t.Errorf("%s's handset did not power off: %v", h.owner, err)
		}
	}
	// Each board has no microphone, so each handset sent its own test tone
	// (audio.DeviceToneHz); each sound card must have played the other's,
	// through the call, phoned's ALSA driver and QEMU's AC97, and not its
	// own (a loop inside the handset).
	for i, h := range hs {
		peer := hs[1-i]
		theirs, err := toneSeconds(h.heard, audio.DeviceToneHz(peer.id))
		if err != nil {
			t.Errorf("%s's sound card: %v", h.owner, err)
			continue
		}
		own, _ := toneSeconds(h.heard, audio.DeviceToneHz(h.id))
		t.Logf("%s's sound card played %.1f s of %s's %.0f Hz tone and %.1f s of its own %.0f Hz",
			h.owner, theirs, peer.owner, audio.DeviceToneHz(peer.id), own, audio.DeviceToneHz(h.id))
		if theirs < 2 || own > 0.5 {
			t.Errorf("%s's sound card: %.1f s of the other side's tone (want at least 2 s) and %.1f s of its own (want none)", h.owner, theirs, own)
		}
	}
	t.Logf("screens, consoles, recordings and logs are in %s", out)
}

// toneSeconds reads a WAV file and returns how much of it, in 100 ms
// windows, is dominated by a tone at hz: windows with some level whose
// energy is mostly at hz (Goertzel).
func toneSeconds(path string, hz float64) (float64, error) {
	fh, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer fh.Close()
	f, pcm, err := audio.ReadWAV(fh, 1<<24)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	n := f.Rate / 10
	w := 2 * math.Cos(2*math.Pi*hz/float64(f.Rate))
	tone := 0
	for start := 0; (start+n)*f.Channels <= len(pcm); start += n {
		var s1, s2, energy float64
		for i := range n {
			x := float64(pcm[(start+i)*f.Channels]) / 32768 // the first channel
			energy += x * x
			s1, s2 = x+w*s1-s2, s1
		}
		if energy/float64(n) < 1e-5 { // quieter than -50 dBFS: silence
			continue
		}
		power := s1*s1 + s2*s2 - w*s1*s2
		if power/(energy*float64(n)/2) > 0.5 {
			tone++
		}
	}
	return float64(tone) / 10, nil
}

func callLine(s state.Snapshot) string {
	c := s.Call
	return fmt.Sprintf("call %s, code %q (%s), quality %+v", c.Phase, c.SAS, c.SASVerdict, c.Quality)
}

// screenshot saves the screen as PNG through q (QEMU takes one QMP client
// at a time).
func screenshot(t *testing.T, ctx context.Context, q *QMP, path string) {
	t.Helper()
	ppm := path + ".ppm"
	if err := q.Screendump(ctx, ppm); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(ppm)
	r, err := os.Open(ppm)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	img, err := ReadPPM(r)
	if err != nil {
		t.Fatal(err)
	}
	w, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := png.Encode(w, img); err != nil {
		t.Fatal(err)
	}
}
