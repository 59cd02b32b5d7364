package keystore

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha512"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"mehfooz/clock"
	"mehfooz/trust/directory"
	"mehfooz/trust/revocation"
	"mehfooz/trust/seal"
	"mehfooz/trust/trusttest"
)

var pin = []byte("314159")

func testOptions(max int) Options {
	return Options{Params: seal.Test, MaxAttempts: max, Clock: clock.NewFake(trusttest.Epoch)}
}

type fixture struct {
	dir    string
	secret FileSecret
}

func newFixture(t *testing.T) fixture {
	base := t.TempDir()
	os.Mkdir(filepath.Join(base, "data"), 0o700)
	return fixture{dir: filepath.Join(base, "data"), secret: FileSecret{Path: filepath.Join(base, "device.secret")}}
}

func (f fixture) create(t *testing.T, max int) *Keystore {
	t.Helper()
	ks, err := Create(f.dir, f.secret, "pk-0001", pin, testOptions(max))
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func (f fixture) open(t *testing.T, max int) *Keystore {
	t.Helper()
	ks, err := Open(f.dir, f.secret, testOptions(max))
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

func sign(t *testing.T, ks *Keystore) (*ecdsa.PublicKey, error) {
	t.Helper()
	s, err := ks.Signer()
	if err != nil {
		return nil, err
	}
	d := sha512.Sum384([]byte("hello"))
	sig, err := s.Sign(rand.Reader, d[:], crypto.SHA384)
	if err != nil {
		return nil, err
	}
	pub := s.Public().(*ecdsa.PublicKey)
	if !ecdsa.VerifyASN1(pub, d[:], sig) {
		t.Fatal("device key signature does not verify")
	}
	return pub, nil
}

func TestCreateUnlockSignPersist(t *testing.T) {
	f := newFixture(t)
	if _, err := Open(f.dir, f.secret, testOptions(5)); !errors.Is(err, ErrNotInitialized) {
		t.Fatalf("Open before Create: %v", err)
	}
	ks := f.create(t, 5)
	pub, err := sign(t, ks)
	if err != nil {
		t.Fatal(err)
	}
	if err := ks.Put("turn-secret", []byte("hunter2")); err != nil {
		t.Fatal(err)
	}
	ks.Lock()
	if _, err := sign(t, ks); !errors.Is(err, ErrLocked) {
		t.Fatalf("Signer while locked: %v", err)
	}
	if _, err := ks.Get("turn-secret"); !errors.Is(err, ErrLocked) {
		t.Fatalf("Get while locked: %v", err)
	}
	ks2 := f.open(t, 5)
	if !ks2.Locked() {
		t.Fatal("opened unlocked")
	}
	if err := ks2.Unlock(pin); err != nil {
		t.Fatal(err)
	}
	pub2, err := sign(t, ks2)
	if err != nil || !pub2.Equal(pub) {
		t.Fatalf("device key changed across reopen: %v", err)
	}
	if v, err := ks2.Get("turn-secret"); err != nil || string(v) != "hunter2" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if _, err := ks2.Get(deviceKeyName); !errors.Is(err, ErrNotFound) {
		t.Fatalf("device key readable through Get: %v", err)
	}
	if _, err := Create(f.dir, f.secret, "pk-0001", pin, testOptions(5)); !errors.Is(err, ErrExists) {
		t.Fatalf("second Create: %v", err)
	}
	// Nothing in the directory holds the secret in clear.
	st, _ := os.ReadFile(filepath.Join(f.dir, StateFile))
	if bytes.Contains(st, []byte("hunter2")) {
		t.Fatal("secret in clear on disk")
	}
}

func TestCertificateMustMatchKey(t *testing.T) {
	f := newFixture(t)
	ks := f.create(t, 5)
	fl := trusttest.New(t)
	other := fl.Enroll("pk-0001")
	if err := ks.SetCertificate(other.Cert); err == nil {
		t.Fatal("accepted a certificate for another key")
	}
	if c, _ := ks.Certificate(); c != nil {
		t.Fatal("certificate before enrollment")
	}
}

func TestSignerExposesNoKey(t *testing.T) {
	f := newFixture(t)
	s, _ := f.create(t, 5).Signer()
	typ := reflect.TypeOf(s)
	var names []string
	for i := range typ.NumMethod() {
		names = append(names, typ.Method(i).Name)
	}
	if !reflect.DeepEqual(names, []string{"Public", "Sign"}) {
		t.Fatalf("signer methods %v, want only Public and Sign", names)
	}
	if _, ok := s.(interface{ Bytes() ([]byte, error) }); ok {
		t.Fatal("signer can export its key")
	}
}

func TestWrongPINCountAndWipe(t *testing.T) {
	f := newFixture(t)
	ks := f.create(t, 3)
	ks.Lock()
	var wp *WrongPINError
	if err := ks.Unlock([]byte("0000")); !errors.As(err, &wp) || wp.Left != 2 {
		t.Fatalf("first wrong PIN: %v", err)
	}
	// The count is on disk: a reopen (or a power cut) does not reset it.
	ks = f.open(t, 3)
	if s := ks.Status(); s.Failed != 1 {
		t.Fatalf("after reopen: %d failed, want 1", s.Failed)
	}
	if err := ks.Unlock(pin); err != nil {
		t.Fatal(err)
	}
	if s := ks.Status(); s.Failed != 0 {
		t.Fatalf("correct PIN left %d failed", s.Failed)
	}
	pub, _ := sign(t, ks)
	ks.Lock()
	for left := 2; left >= 1; left-- {
		if err := ks.Unlock([]byte("1111")); !errors.As(err, &wp) || wp.Left != left {
			t.Fatalf("wrong PIN: %v, want %d left", err, left)
		}
	}
	if err := ks.Unlock([]byte("2222")); !errors.Is(err, ErrWiped) {
		t.Fatalf("last wrong PIN: %v, want ErrWiped", err)
	}
	if err := ks.Unlock(pin); !errors.Is(err, ErrWiped) {
		t.Fatalf("right PIN after wipe: %v", err)
	}
	if _, err := os.Stat(f.secret.Path); !os.IsNotExist(err) {
		t.Fatalf("device secret survived the wipe: %v", err)
	}
	ks = f.open(t, 3)
	if s := ks.Status(); !s.Wiped || !s.PendingRevocation {
		t.Fatalf("status after wipe %+v", s)
	}
	q, err := revocation.ParseRequest(ks.PendingRevocation())
	if err != nil || q.Reason != revocation.ReasonWiped || q.ID != "pk-0001" || q.Verify(pub) != nil {
		t.Fatalf("pending request %+v, %v", q, err)
	}
	if err := ks.AckRevocation(); err != nil {
		t.Fatal(err)
	}
	if f.open(t, 3).PendingRevocation() != nil {
		t.Fatal("acknowledged request still pending")
	}
	// A wiped and acknowledged store can be provisioned again.
	if _, err := Create(f.dir, f.secret, "pk-0001", pin, testOptions(3)); err != nil {
		t.Fatalf("re-provision: %v", err)
	}
}

func TestDuressPINWipesSilently(t *testing.T) {
	f := newFixture(t)
	ks := f.create(t, 4)
	pub, _ := sign(t, ks)
	if err := ks.Put("contacts-key", []byte("k")); err != nil {
		t.Fatal(err)
	}
	if err := ks.SetDuressPIN([]byte("999999")); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(filepath.Join(f.dir, StateFile))
	ks.Lock()
	var wp *WrongPINError
	if err := ks.Unlock([]byte("999999")); !errors.As(err, &wp) || wp.Left != 3 {
		t.Fatalf("duress PIN: %v, want a wrong-PIN answer with 3 left", err)
	}
	// Looks locked, not wiped, to whoever holds the phone.
	if s := ks.Status(); s.Wiped || !s.Locked || s.Failed != 1 {
		t.Fatalf("status after duress %+v", s)
	}
	// But the data is gone: the real PIN no longer opens anything.
	if err := ks.Unlock(pin); !errors.As(err, &wp) || wp.Left != 2 {
		t.Fatalf("real PIN after duress: %v", err)
	}
	// The exchange will be told, with reason duress, signed by the old key.
	q, err := revocation.ParseRequest(ks.PendingRevocation())
	if err != nil || q.Reason != revocation.ReasonDuress || q.Verify(pub) != nil {
		t.Fatalf("pending request %+v, %v", q, err)
	}
	// Crypto-erase: even the pre-wipe state file, put back, with the right
	// PIN, opens nothing, because the device secret is destroyed.
	if err := os.WriteFile(filepath.Join(f.dir, StateFile), before, 0o600); err != nil {
		t.Fatal(err)
	}
	restored := f.open(t, 4)
	if err := restored.Unlock(pin); err == nil {
		t.Fatal("restored pre-wipe state opened after the wipe")
	}
	// The tombstone runs out like a real store.
	ks.Unlock([]byte("0000"))
	if err := ks.Unlock([]byte("0000")); !errors.Is(err, ErrWiped) {
		t.Fatalf("after attempts ran out: %v", err)
	}
}

func TestDuressAndPINMustDiffer(t *testing.T) {
	f := newFixture(t)
	ks := f.create(t, 5)
	if err := ks.SetDuressPIN(pin); !errors.Is(err, ErrBadPIN) {
		t.Fatalf("duress = PIN: %v", err)
	}
	if err := ks.SetDuressPIN([]byte("7777")); err != nil {
		t.Fatal(err)
	}
	if err := ks.ChangePIN([]byte("7777")); !errors.Is(err, ErrBadPIN) {
		t.Fatalf("PIN = duress: %v", err)
	}
	if err := ks.ChangePIN([]byte("12")); !errors.Is(err, ErrBadPIN) {
		t.Fatalf("short PIN: %v", err)
	}
	if err := ks.ChangePIN([]byte("24680")); err != nil {
		t.Fatal(err)
	}
	ks.Lock()
	if err := ks.Unlock(pin); !errors.Is(err, ErrWrongPIN) {
		t.Fatalf("old PIN: %v", err)
	}
	if err := ks.Unlock([]byte("24680")); err != nil {
		t.Fatalf("new PIN: %v", err)
	}
	ks.Lock()
	if err := ks.SetDuressPIN([]byte("5555")); !errors.Is(err, ErrLocked) {
		t.Fatalf("SetDuressPIN locked: %v", err)
	}
}

func TestLockAndWipeZeroMemory(t *testing.T) {
	f := newFixture(t)
	ks := f.create(t, 5)
	ks.Put("x", []byte("secret-bytes"))
	//lint:ignore SA1019 the test checks the zeroization of D's words
	dek, val, d := ks.dek, ks.secrets["x"], ks.key.D.Bits()
	ks.Lock()
	for name, b := range map[string][]byte{"data key": dek, "secret": val} {
		if !bytes.Equal(b, make([]byte, len(b))) {
			t.Errorf("%s not zeroed: %x", name, b)
		}
	}
	for _, w := range d {
		if w != 0 {
			t.Fatal("device key scalar not zeroed")
		}
	}
	ks.Unlock(pin)
	dek = ks.dek
	if err := ks.Wipe(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dek, make([]byte, 32)) || !ks.Locked() {
		t.Fatal("wipe left the data key in memory")
	}
	if err := ks.Unlock(pin); !errors.Is(err, ErrWiped) {
		t.Fatalf("after Wipe: %v", err)
	}
}

func TestStateRejectsCorruption(t *testing.T) {
	f := newFixture(t)
	f.create(t, 5)
	p := filepath.Join(f.dir, StateFile)
	good, _ := os.ReadFile(p)
	bad := bytes.Clone(good)
	bad[len(bad)-3] ^= 1 // inside the sealed secrets
	os.WriteFile(p, bad, 0o600)
	ks := f.open(t, 5)
	if err := ks.Unlock(pin); err == nil {
		t.Fatal("tampered secrets unlocked")
	}
	os.WriteFile(p, good[:len(good)-1], 0o600)
	if _, err := Open(f.dir, f.secret, testOptions(5)); err == nil {
		t.Fatal("truncated state opened")
	}
}

func FuzzDecodeState(f *testing.F) {
	dir := f.TempDir()
	ks, err := Create(filepath.Join(dir, "ks"), FileSecret{Path: filepath.Join(dir, "s")}, "pk-0001", pin, testOptions(5))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ks.st.encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeState(b)
		if err != nil {
			return
		}
		if !bytes.Equal(s.encode(), b) {
			t.Fatal("state does not re-encode to the same bytes")
		}
	})
}

func BenchmarkUnlockHandset(b *testing.B) {
	dir := b.TempDir()
	opt := Options{Params: seal.Handset}
	ks, err := Create(filepath.Join(dir, "ks"), FileSecret{Path: filepath.Join(dir, "s")}, "pk-0001", pin, opt)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := ks.Unlock(pin); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSealedStoreHoldsBundles(t *testing.T) {
	f := newFixture(t)
	ks := f.create(t, 5)
	fl := trusttest.New(t)
	fl.Enroll("pk-0002")
	raw := fl.SignDirectory(fl.Directory())
	h, err := directory.NewHolder(fl.Verifier, ks.Sealed("directory"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Offer(raw); err != nil {
		t.Fatal(err)
	}
	ks.Lock()
	if _, err := directory.NewHolder(fl.Verifier, ks.Sealed("directory"), nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("holder over a locked store: %v", err)
	}
	st, _ := os.ReadFile(filepath.Join(f.dir, StateFile))
	if bytes.Contains(st, []byte("pk-0002")) {
		t.Fatal("directory in clear on disk")
	}
	ks2 := f.open(t, 5)
	ks2.Unlock(pin)
	h2, err := directory.NewHolder(fl.Verifier, ks2.Sealed("directory"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := h2.Current(); d == nil || len(d.Entries) != 1 {
		t.Fatalf("reloaded directory %+v", d)
	}
	if err := ks2.Put("huge", make([]byte, maxSecrets)); err == nil {
		t.Fatal("secrets beyond the cap accepted")
	}
	if _, err := ks2.Get("huge"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("refused secret was kept: %v", err)
	}
	ks2.Lock()
	if err := f.open(t, 5).Unlock(pin); err != nil {
		t.Fatalf("store after a refused Put: %v", err)
	}
}

// A device secret that cannot be read (its partition not mounted, a secure
// element not answering) is not a wrong PIN: the attempt is not counted, and
// no new secret is made in its place, or every right PIN would count
// towards the wipe (before the fix, four right PINs wiped a store of three
// attempts).
func TestMissingDeviceSecretIsNotAWrongPIN(t *testing.T) {
	f := newFixture(t)
	f.create(t, 3).Lock()
	aside := f.secret.Path + ".aside"
	if err := os.Rename(f.secret.Path, aside); err != nil {
		t.Fatal(err)
	}
	ks := f.open(t, 3)
	for range 4 {
		err := ks.Unlock(pin)
		if !errors.Is(err, ErrNoDeviceSecret) {
			t.Fatalf("unlock without the device secret: %v, want ErrNoDeviceSecret", err)
		}
	}
	if s := ks.Status(); s.Failed != 0 || s.Wiped {
		t.Fatalf("status %+v: attempts counted without the device secret", s)
	}
	if _, err := os.Stat(f.secret.Path); !os.IsNotExist(err) {
		t.Fatalf("a new device secret was made in place of the missing one: %v", err)
	}
	if err := os.Rename(aside, f.secret.Path); err != nil {
		t.Fatal(err)
	}
	if err := ks.Unlock(pin); err != nil {
		t.Fatalf("right PIN once the secret is back: %v", err)
	}
}

// A new store's secret replaces a leftover one by shredding it first.
func TestGenerateShredsALeftoverSecret(t *testing.T) {
	f := newFixture(t)
	old := bytes.Repeat([]byte{0x5A}, 32)
	os.WriteFile(f.secret.Path, old, 0o400)
	observer := f.secret.Path + ".observer"
	if err := os.Link(f.secret.Path, observer); err != nil {
		t.Skipf("hard links unsupported: %v", err)
	}
	ks := f.create(t, 3)
	if got, _ := os.ReadFile(observer); !bytes.Equal(got, make([]byte, 32)) {
		t.Fatalf("the leftover secret's blocks still hold %x", got)
	}
	if k, err := f.secret.Key(); err != nil || bytes.Equal(k, old) {
		t.Fatalf("new secret %x, %v", k, err)
	}
	ks.Lock()
	if err := ks.Unlock(pin); err != nil {
		t.Fatal(err)
	}
}

// The last allowed attempt is counted on disk before its PIN is tried; a
// power cut before the answer leaves a live store whose count has run out.
// Open finishes the wipe that attempt would have ended in (as it finishes a
// wipe cut short), rather than let the next attempt go past the limit and
// leave a state file that no longer decodes.
func TestCountRunOutByPowerCutWipesOnOpen(t *testing.T) {
	f := newFixture(t)
	ks := f.create(t, 3)
	ks.Lock()
	for range 2 {
		ks.Unlock([]byte("000000"))
	}
	ks.mu.Lock() // the third attempt, counted, then the power goes
	ks.st.failed++
	if err := ks.saveLocked(); err != nil {
		t.Fatal(err)
	}
	ks.mu.Unlock()

	ks = f.open(t, 3)
	if s := ks.Status(); !s.Wiped || !s.PendingRevocation {
		t.Fatalf("status after reopening with the count run out: %+v, want wiped with a request pending", s)
	}
	if _, err := os.Stat(f.secret.Path); !os.IsNotExist(err) {
		t.Fatalf("device secret survived: %v", err)
	}
	if err := ks.Unlock(pin); !errors.Is(err, ErrWiped) {
		t.Fatalf("right PIN after the count ran out: %v, want ErrWiped", err)
	}
	f.open(t, 3) // and the state still decodes
}
