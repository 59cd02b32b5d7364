package daemon

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mehfooz/daemon/api"
	"mehfooz/daemon/state"
	"mehfooz/trust/enroll"
	"mehfooz/trust/keystore"
	"mehfooz/trust/seal"
	"mehfooz/trust/trusttest"
)

type keysFixture struct {
	fleet *trusttest.Fleet
	d     *Daemon
	k     *Keys
	dir   string
}

func newKeys(t *testing.T) *keysFixture {
	return newKeysLog(t, slog.New(slog.DiscardHandler))
}

func newKeysLog(t *testing.T, log *slog.Logger) *keysFixture {
	t.Helper()
	f := trusttest.New(t)
	d := New(f.Clock, log, state.Snapshot{Board: "sim"})
	dir := t.TempDir()
	k, err := NewKeys(d, filepath.Join(dir, "keystore"), keystore.FileSecret{Path: filepath.Join(dir, "device.secret")},
		"pk-gov-0001", f.Verifier, keystore.Options{Params: seal.Test, Clock: f.Clock})
	if err != nil {
		t.Fatal(err)
	}
	return &keysFixture{fleet: f, d: d, k: k, dir: dir}
}

func (x *keysFixture) intent(in state.Intent) error { return x.d.Intent(context.Background(), in) }

func (x *keysFixture) enroll(t *testing.T) {
	t.Helper()
	req, err := x.d.EnrollRequest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(req)
	r, err := enroll.ParseRequest(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x.fleet.CA.IssueDevice(r, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.d.InstallCertificate(context.Background(), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})); err != nil {
		t.Fatal(err)
	}
}

func ready(k *Keys) bool {
	select {
	case <-k.Ready():
		return true
	default:
		return false
	}
}

func TestFirstPINSetsUpThenEnrollmentMakesReady(t *testing.T) {
	x := newKeys(t)
	if l := x.d.Hub().Current().Lock; !l.Locked || !l.Setup {
		t.Fatalf("new handset lock = %+v, want locked and in set-up", l)
	}
	if _, err := x.d.EnrollRequest(context.Background()); !errors.Is(err, api.ErrRejected) {
		t.Fatalf("request before a PIN: %v", err)
	}
	if err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")}); err != nil {
		t.Fatal(err)
	}
	if l := x.d.Hub().Current().Lock; l.Locked || l.Setup {
		t.Fatalf("after set-up lock = %+v", l)
	}
	if ready(x.k) {
		t.Fatal("ready before enrollment")
	}
	x.enroll(t)
	if !ready(x.k) || x.k.Store() == nil {
		t.Fatal("not ready after enrollment")
	}
}

func TestInstallRefusesAnotherHandsetsCertificate(t *testing.T) {
	x := newKeys(t)
	if err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")}); err != nil {
		t.Fatal(err)
	}
	other := x.fleet.Enroll("pk-gov-0002")
	err := x.d.InstallCertificate(context.Background(), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.Cert.Raw}))
	if !errors.Is(err, api.ErrRejected) {
		t.Fatalf("other handset's certificate: err = %v, want ErrRejected", err)
	}
	rogue := trusttest.New(t).Enroll("pk-gov-0001")
	err = x.d.InstallCertificate(context.Background(), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: rogue.Cert.Raw}))
	if !errors.Is(err, api.ErrRejected) {
		t.Fatalf("certificate from another CA: err = %v, want ErrRejected", err)
	}
	if ready(x.k) {
		t.Fatal("ready after refused certificates")
	}
}

func TestScreenLockKeepsKeysAndCountsWrongPINs(t *testing.T) {
	x := newKeys(t)
	pin := []byte("246810")
	if err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: append([]byte(nil), pin...)}); err != nil {
		t.Fatal(err)
	}
	x.enroll(t)
	if err := x.intent(state.Intent{Kind: state.IntentLock}); err != nil {
		t.Fatal(err)
	}
	if !x.d.Hub().Current().Lock.Locked {
		t.Fatal("screen not locked")
	}
	if x.k.Store().Locked() {
		t.Fatal("screen lock dropped the device key: calls could not ring")
	}
	err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("111111")})
	if !errors.Is(err, api.ErrRejected) {
		t.Fatalf("wrong PIN: %v", err)
	}
	if l := x.d.Hub().Current().Lock; !l.Locked || l.WrongPINs != 1 || l.MaxAttempts != keystore.DefaultMaxAttempts {
		t.Fatalf("after a wrong PIN lock = %+v", l)
	}
	if err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: append([]byte(nil), pin...)}); err != nil {
		t.Fatal(err)
	}
	if l := x.d.Hub().Current().Lock; l.Locked || l.WrongPINs != 0 {
		t.Fatalf("after the right PIN lock = %+v", l)
	}
}

func TestDuressPINLooksWrongButWipesAndAsksForRevocation(t *testing.T) {
	x := newKeys(t)
	if err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")}); err != nil {
		t.Fatal(err)
	}
	x.enroll(t)
	if err := x.intent(state.Intent{Kind: state.IntentSetDuressPIN, PIN: []byte("999999")}); err != nil {
		t.Fatal(err)
	}
	x.intent(state.Intent{Kind: state.IntentLock})
	err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("999999")})
	if !errors.Is(err, api.ErrRejected) {
		t.Fatalf("duress PIN: err = %v, want it refused like a wrong PIN", err)
	}
	if l := x.d.Hub().Current().Lock; !l.Locked || l.Wiped || l.WrongPINs != 1 {
		t.Fatalf("after duress lock = %+v, want it to look like one wrong PIN", l)
	}
	select {
	case <-x.k.Wiped():
	default:
		t.Fatal("wipe not noticed")
	}
	if len(x.k.PendingRevocation()) == 0 {
		t.Fatal("no revocation request left for the exchange")
	}
	if _, err := x.k.Store().Signer(); err == nil {
		t.Fatal("device key usable after a duress wipe")
	}
	// The right PIN no longer opens anything.
	if err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")}); !errors.Is(err, api.ErrRejected) {
		t.Fatalf("right PIN after duress: %v", err)
	}
}

// TestDuressPINShowsNothingAWrongPINWouldNot runs a handset through wrong
// PINs, and another through the same with the duress PIN first, and
// compares what each attempt shows: the answer, the Snapshot's lock state
// and alerts, and the daemon's log.
func TestDuressPINShowsNothingAWrongPINWouldNot(t *testing.T) {
	type seen struct {
		err    string
		lock   state.Lock
		alerts int
		log    string
	}
	run := func(first []byte) []seen {
		var logs bytes.Buffer
		x := newKeysLog(t, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			},
		})))
		if err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")}); err != nil {
			t.Fatal(err)
		}
		x.enroll(t)
		if err := x.k.Store().SetDuressPIN([]byte("999999")); err != nil {
			t.Fatal(err)
		}
		x.intent(state.Intent{Kind: state.IntentLock})
		logs.Reset()
		var out []seen
		for i := range keystore.DefaultMaxAttempts + 1 {
			pin := []byte("111111")
			if i == 0 {
				pin = first
			}
			err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: pin})
			s := x.d.Hub().Current()
			out = append(out, seen{err: fmt.Sprint(err), lock: s.Lock, alerts: len(s.Alerts), log: logs.String()})
			logs.Reset()
		}
		return out
	}
	want := run([]byte("111111"))
	got := run([]byte("999999"))
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("attempt %d after the duress PIN shows\n%+v\nafter a wrong PIN\n%+v", i+1, got[i], want[i])
		}
	}
}

func TestUnlockWithoutDeviceSecretAlertsAndCountsNothing(t *testing.T) {
	x := newKeys(t)
	if err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")}); err != nil {
		t.Fatal(err)
	}
	x.intent(state.Intent{Kind: state.IntentLock})
	os.Remove(filepath.Join(x.dir, "device.secret"))
	x.k.ks.Lock()
	err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")})
	if err == nil || errors.Is(err, api.ErrRejected) {
		t.Fatalf("unlock without the device secret: %v, want a failure that is not a wrong PIN", err)
	}
	s := x.d.Hub().Current()
	if s.Lock.WrongPINs != 0 || len(s.Alerts) != 1 || s.Alerts[0].Kind != state.AlertKeystore {
		t.Fatalf("lock %+v alerts %+v: want no wrong PIN and a keystore alert", s.Lock, s.Alerts)
	}
}

func TestPINChangesNeedAnUnlockedScreen(t *testing.T) {
	x := newKeys(t)
	if err := x.intent(state.Intent{Kind: state.IntentChangePIN, PIN: []byte("135790")}); !errors.Is(err, api.ErrRejected) {
		t.Fatalf("change PIN before set-up: %v", err)
	}
	if err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")}); err != nil {
		t.Fatal(err)
	}
	x.intent(state.Intent{Kind: state.IntentLock})
	for _, k := range []state.IntentKind{state.IntentChangePIN, state.IntentSetDuressPIN} {
		if err := x.intent(state.Intent{Kind: k, PIN: []byte("135790")}); !errors.Is(err, api.ErrRejected) {
			t.Fatalf("%s on a locked screen: %v", k, err)
		}
	}
	if err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")}); err != nil {
		t.Fatal(err)
	}
	if err := x.intent(state.Intent{Kind: state.IntentChangePIN, PIN: []byte("135790")}); err != nil {
		t.Fatal(err)
	}
	x.intent(state.Intent{Kind: state.IntentLock})
	if err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")}); !errors.Is(err, api.ErrRejected) {
		t.Fatalf("old PIN after a change: %v", err)
	}
	if err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("135790")}); err != nil {
		t.Fatalf("new PIN: %v", err)
	}
}

// TestSIMPINStoredForTheModem: the SIM PIN is kept sealed in the keystore,
// set only while the screen is unlocked, and given to the modem only then.
func TestSIMPINStoredForTheModem(t *testing.T) {
	x := newKeys(t)
	pins := SIMPINs{Keys: x.k}
	if err := x.intent(state.Intent{Kind: state.IntentSetSIMPIN, PIN: []byte("1234")}); !errors.Is(err, api.ErrRejected) {
		t.Fatalf("SIM PIN before set-up: %v", err)
	}
	if err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")}); err != nil {
		t.Fatal(err)
	}
	if _, err := pins.SIMPIN(context.Background(), "8992"); !errors.Is(err, ErrNoSIMPIN) {
		t.Fatalf("SIM PIN before one is stored: %v", err)
	}
	if err := x.intent(state.Intent{Kind: state.IntentSetSIMPIN, PIN: []byte("4321")}); err != nil {
		t.Fatal(err)
	}
	if pin, err := pins.SIMPIN(context.Background(), "8992"); err != nil || string(pin) != "4321" {
		t.Fatalf("stored SIM PIN = %q, %v", pin, err)
	}
	x.intent(state.Intent{Kind: state.IntentLock})
	if err := x.intent(state.Intent{Kind: state.IntentSetSIMPIN, PIN: []byte("9999")}); !errors.Is(err, api.ErrRejected) {
		t.Fatalf("SIM PIN on a locked screen: %v", err)
	}
	if err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")}); err != nil {
		t.Fatal(err)
	}
	if pin, err := pins.SIMPIN(context.Background(), "8992"); err != nil || string(pin) != "4321" {
		t.Fatalf("SIM PIN after lock and unlock = %q, %v", pin, err)
	}
}

func TestContactsHiddenWhileLocked(t *testing.T) {
	x := newKeys(t)
	x.d.SetContacts([]state.Contact{{ID: "pk-gov-0002", Name: "Bilal Raza"}})
	if cs := x.d.Hub().Current().Contacts; len(cs) != 0 {
		t.Fatalf("a locked handset shows contacts: %+v", cs)
	}
	if err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")}); err != nil {
		t.Fatal(err)
	}
	if cs := x.d.Hub().Current().Contacts; len(cs) != 1 {
		t.Fatalf("unlocked contacts = %+v", cs)
	}
	x.intent(state.Intent{Kind: state.IntentLock})
	if cs := x.d.Hub().Current().Contacts; len(cs) != 0 {
		t.Fatalf("contacts survive the screen lock: %+v", cs)
	}
}

// renewal sets up and enrolls the fixture's handset, then, 21 days on,
// has the CA renew its certificate from a fresh request of the handset:
// the installed certificate and the renewed one, not yet installed.
func renewal(t *testing.T, x *keysFixture) (old, renewed *x509.Certificate) {
	t.Helper()
	if err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")}); err != nil {
		t.Fatal(err)
	}
	x.enroll(t)
	old, err := x.k.Store().Certificate()
	if err != nil || old == nil {
		t.Fatalf("enrolled certificate: %v", err)
	}
	req, err := x.d.EnrollRequest(context.Background())
	if err != nil {
		t.Fatalf("request from an enrolled handset: %v", err)
	}
	blk, _ := pem.Decode(req)
	r, err := enroll.ParseRequest(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	x.fleet.Clock.Advance(21 * 24 * time.Hour)
	if renewed, err = x.fleet.CA.Renew(old, r, 0); err != nil {
		t.Fatal(err)
	}
	return old, renewed
}

// TestRenewalAtTheBench: an enrolled handset hands out a request for its
// same key again, and takes the renewed certificate in place of the old.
func TestRenewalAtTheBench(t *testing.T) {
	x := newKeys(t)
	old, renewed := renewal(t, x)
	if err := x.d.InstallCertificate(context.Background(), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: renewed.Raw})); err != nil {
		t.Fatalf("install the renewed certificate: %v", err)
	}
	now, err := x.k.Store().Certificate()
	if err != nil || !now.NotAfter.After(old.NotAfter) {
		t.Fatalf("certificate after renewal: until %v (was %v), %v", now.NotAfter, old.NotAfter, err)
	}
}

// TestCertificateInstallRefusals: on a locked screen nothing is installed,
// and an older certificate never replaces a newer one.
func TestCertificateInstallRefusals(t *testing.T) {
	x := newKeys(t)
	old, renewed := renewal(t, x)
	pemOf := func(der []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}) }
	x.intent(state.Intent{Kind: state.IntentLock})
	if err := x.d.InstallCertificate(context.Background(), pemOf(renewed.Raw)); !errors.Is(err, api.ErrRejected) {
		t.Fatalf("install on a locked screen: %v", err)
	}
	if err := x.intent(state.Intent{Kind: state.IntentUnlock, PIN: []byte("246810")}); err != nil {
		t.Fatal(err)
	}
	if err := x.d.InstallCertificate(context.Background(), pemOf(renewed.Raw)); err != nil {
		t.Fatal(err)
	}
	for name, der := range map[string][]byte{"the replaced one": old.Raw, "the same one": renewed.Raw} {
		if err := x.d.InstallCertificate(context.Background(), pemOf(der)); !errors.Is(err, api.ErrRejected) {
			t.Errorf("install %s again: %v", name, err)
		}
	}
	if cur, _ := x.k.Store().Certificate(); !cur.Equal(renewed) {
		t.Fatalf("installed certificate until %v, want the renewed one", cur.NotAfter)
	}
}
