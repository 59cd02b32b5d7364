// Package keystore keeps the handset's secrets sealed at rest: the device
// key, generated on first boot and never exported, and any other named
// secret. They are sealed under a data key (DEK), itself sealed under a key
// from the user's PIN (argon2id) and a device secret. N wrong PINs wipe the
// store; a duress PIN wipes it silently and leaves the exchange a
// pre-signed request to revoke the device. Every change is one atomic
// replace of one state file, so a power cut at any point leaves the old or
// the new state, intact. docs/trust.md describes the design and what a wipe
// guarantees.
package keystore

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"mehfooz/atomicfile"
	"mehfooz/clock"
	"mehfooz/trust"
	"mehfooz/trust/revocation"
	"mehfooz/trust/seal"
)

var (
	// ErrNotInitialized: there is no keystore yet (first boot): call Create.
	ErrNotInitialized = errors.New("keystore: not initialized")
	// ErrExists: Create found a keystore already.
	ErrExists = errors.New("keystore: already initialized")
	// ErrWrongPIN: the PIN did not unlock the store. A *WrongPINError carries the attempts left.
	ErrWrongPIN = errors.New("keystore: wrong PIN")
	// ErrWiped: the store was wiped; nothing in it can be recovered.
	ErrWiped = errors.New("keystore: wiped")
	// ErrLocked: the operation needs an unlocked store.
	ErrLocked = errors.New("keystore: locked")
	// ErrBadPIN: a new PIN is too short or too long, or equals the other PIN.
	ErrBadPIN = errors.New("keystore: unacceptable PIN")
	// ErrNotFound: no secret of that name.
	ErrNotFound = errors.New("keystore: no such secret")
)

// WrongPINError reports a failed unlock and how many attempts remain
// before the store wipes itself.
type WrongPINError struct{ Left int }

func (e *WrongPINError) Error() string {
	return fmt.Sprintf("keystore: wrong PIN, %d attempts left before wipe", e.Left)
}
func (e *WrongPINError) Unwrap() error { return ErrWrongPIN }

// File names inside the keystore directory.
const StateFile = "keystore"

// DefaultMaxAttempts is the wrong-PIN limit (NIST and the NSA's mobile
// guidance use 10).
const DefaultMaxAttempts = 10

// Name of the device key among the sealed secrets.
const deviceKeyName = "device-key"

// Options tune a keystore. Zero values take the defaults.
type Options struct {
	Params      seal.Params // argon2id cost; default seal.Handset
	MaxAttempts int         // default DefaultMaxAttempts
	Clock       clock.Clock // default clock.Real
	Log         *slog.Logger
}

func (o *Options) fill() {
	if o.Params == (seal.Params{}) {
		o.Params = seal.Handset
	}
	if o.MaxAttempts <= 0 || o.MaxAttempts > 255 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Keystore is the handset's sealed store. Safe for concurrent use.
type Keystore struct {
	dir    string
	secret DeviceSecret
	opt    Options

	mu      sync.Mutex
	st      *state
	dek     []byte            // nil when locked
	secrets map[string][]byte // nil when locked
	key     *ecdsa.PrivateKey // nil when locked
	pub     *ecdsa.PublicKey
}

// Open reads the keystore in dir, locked. A store whose wipe was cut short
// by a power loss, or whose last allowed attempt was, is wiped here.
func Open(dir string, secret DeviceSecret, opt Options) (*Keystore, error) {
	opt.fill()
	if err := atomicfile.Clean(dir); err != nil {
		return nil, fmt.Errorf("keystore: open: %w", err)
	}
	b, err := atomicfile.Read(filepath.Join(dir, StateFile))
	if err != nil {
		return nil, fmt.Errorf("keystore: open: %w", err)
	}
	if b == nil {
		return nil, ErrNotInitialized
	}
	st, err := decodeState(b)
	if err != nil {
		return nil, err
	}
	ks := &Keystore{dir: dir, secret: secret, opt: opt, st: st}
	if !st.wiped && st.failed >= st.max {
		// The last allowed attempt was counted, then the power went before
		// its answer: finish the wipe it ends in. Going on would count past
		// the limit.
		ks.opt.Log.Warn("keystore wipe", "reason", "pin")
		if err := ks.wipeLocked(st.notice, st.failed); err != nil {
			return nil, fmt.Errorf("keystore: open: %w", err)
		}
		return ks, nil
	}
	if st.wiped {
		// The tombstone is the commit point of a wipe; the device secret
		// may have survived a power cut right after it.
		if err := secret.Destroy(); err != nil {
			return nil, fmt.Errorf("keystore: finish wipe: %w", err)
		}
	}
	return ks, nil
}

// Create initializes a keystore in dir for device id with the user's PIN:
// it generates the device key (ECDSA P-384) and the data key, pre-signs the
// "wiped" revocation notice, and writes the state. The store is returned
// unlocked. It refuses to replace a live store, or a wiped one whose
// revocation request has not been delivered yet.
func Create(dir string, secret DeviceSecret, id trust.DeviceID, pin []byte, opt Options) (*Keystore, error) {
	opt.fill()
	if !id.Valid() {
		return nil, fmt.Errorf("keystore: create: %w: %q", trust.ErrBadDeviceID, id)
	}
	if err := checkPIN(pin); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keystore: create: %w", err)
	}
	if old, err := Open(dir, secret, opt); err == nil {
		if !old.st.wiped || len(old.st.outbox) != 0 {
			return nil, ErrExists
		}
	} else if !errors.Is(err, ErrNotInitialized) {
		return nil, fmt.Errorf("keystore: create: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("keystore: create: %w", err)
	}
	notice, err := revocation.NewRequest(key, id, revocation.ReasonWiped, opt.Clock.Now())
	if err != nil {
		return nil, fmt.Errorf("keystore: create: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("keystore: create: %w", err)
	}
	st := &state{max: uint8(opt.MaxAttempts), params: opt.Params, id: id, notice: notice}
	rand.Read(st.salt[:])
	ks := &Keystore{dir: dir, secret: secret, opt: opt, st: st,
		dek: make([]byte, 32), secrets: map[string][]byte{deviceKeyName: pkcs8}, key: key, pub: &key.PublicKey}
	rand.Read(ks.dek)
	ds, err := secret.Generate()
	if err != nil {
		return nil, fmt.Errorf("keystore: create: %w", err)
	}
	kek := ks.kekWith(ds, pin)
	clear(ds)
	defer clear(kek)
	st.main = sealWith(kek, ks.dek, ks.aad("main"))
	st.duress = make([]byte, duressLen)
	rand.Read(st.duress)
	if err := ks.sealSecretsLocked(); err != nil {
		return nil, err
	}
	if err := ks.saveLocked(); err != nil {
		return nil, err
	}
	opt.Log.Info("keystore created", "device", string(id))
	return ks, nil
}

func checkPIN(pin []byte) error {
	if len(pin) < 4 || len(pin) > 64 {
		return fmt.Errorf("%w: %d characters, want 4 to 64", ErrBadPIN, len(pin))
	}
	return nil
}

// kek derives the key-encryption key for pin. It costs one argon2id run.
func (ks *Keystore) kek(pin []byte) ([]byte, error) {
	ds, err := ks.secret.Key()
	if err != nil {
		return nil, err
	}
	defer clear(ds)
	return ks.kekWith(ds, pin), nil
}

// kekWith derives the key-encryption key for pin under device secret ds.
func (ks *Keystore) kekWith(ds, pin []byte) []byte {
	k := ks.st.params.Key(pin, ks.st.salt[:])
	defer clear(k)
	m := hmac.New(sha256.New, ds)
	m.Write([]byte("mehfooz keystore kek v1"))
	m.Write(k)
	return m.Sum(nil)
}

func (ks *Keystore) aad(part string) []byte {
	return append(append([]byte("mehfooz keystore v1 "+part+"\x00"), ks.st.salt[:]...), ks.st.id...)
}

func sealWith(key, plaintext, aad []byte) []byte {
	a := aead(key)
	out := make([]byte, 12, 12+len(plaintext)+16)
	rand.Read(out)
	return a.Seal(out, out[:12], plaintext, aad)
}

func openWith(key, blob, aad []byte) ([]byte, bool) {
	if len(blob) < 12+16 {
		return nil, false
	}
	pt, err := aead(key).Open(nil, blob[:12], blob[12:], aad)
	return pt, err == nil
}

func aead(key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // keys here are always 32 bytes
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return a
}

func (ks *Keystore) saveLocked() error {
	if err := atomicfile.WriteFile(filepath.Join(ks.dir, StateFile), ks.st.encode(), 0o600); err != nil {
		return fmt.Errorf("keystore: save: %w", err)
	}
	return nil
}

func (ks *Keystore) sealSecretsLocked() error {
	pt := encodeSecrets(ks.secrets)
	defer clear(pt)
	if len(pt) > maxSecrets {
		return fmt.Errorf("keystore: secrets total %d bytes, more than %d", len(pt), maxSecrets)
	}
	ks.st.secrets = sealWith(ks.dek, pt, ks.aad("secrets"))
	return nil
}

// Unlock opens the store with pin. The attempt is counted on disk before
// the PIN is tried, so cutting the power during a guess does not refund it.
// A wrong PIN returns a *WrongPINError; the last allowed wrong PIN wipes the
// store and returns ErrWiped. The duress PIN wipes the store too, but
// answers as a wrong PIN would at that count, in its return value, the
// status, the log and the number of state writes.
func (ks *Keystore) Unlock(pin []byte) error {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.st.wiped && ks.st.failed >= ks.st.max {
		return ErrWiped
	}
	var ds []byte
	if !ks.st.wiped {
		// Without the device secret no PIN can be tried: that is not an
		// attempt, so it must not count (ErrNoDeviceSecret).
		var err error
		if ds, err = ks.secret.Key(); err != nil {
			return fmt.Errorf("keystore: unlock: %w", err)
		}
		defer clear(ds)
	}
	ks.st.failed++
	if err := ks.saveLocked(); err != nil {
		ks.st.failed--
		return err
	}
	left := int(ks.st.max) - int(ks.st.failed)
	if ks.st.wiped {
		// A tombstone after a duress wipe keeps the look of a locked
		// phone: same cost per attempt, same answers, until the count runs out.
		ks.st.params.Key(pin, ks.st.salt[:])
		ks.paceLocked()
		return ks.refuse(left)
	}
	kek := ks.kekWith(ds, pin)
	defer clear(kek)
	if dek, ok := openWith(kek, ks.st.main, ks.aad("main")); ok {
		return ks.unlockLocked(dek)
	}
	if padded, ok := openWith(kek, ks.st.duress, ks.aad("duress")); ok {
		req := unpad(padded)
		clear(padded)
		// No log here: a wrong PIN logs nothing until the count runs out.
		if err := ks.wipeLocked(req, ks.st.failed); err != nil {
			return err
		}
		return ks.refuse(left)
	}
	if left <= 0 {
		if err := ks.wipeLocked(ks.st.notice, ks.st.failed); err != nil {
			return err
		}
		return ks.refuse(left)
	}
	ks.paceLocked()
	return ks.refuse(left)
}

// refuse is the answer to every failed attempt, whether the PIN was wrong,
// the duress PIN, or any PIN on a tombstone, so that none tells which.
func (ks *Keystore) refuse(left int) error {
	if left <= 0 {
		ks.opt.Log.Warn("keystore wipe", "reason", "pin")
		return ErrWiped
	}
	return &WrongPINError{Left: left}
}

// paceLocked writes the state once more, unchanged, so that a wrong PIN
// costs the same two state writes as a right PIN (count, then reset) and the
// duress PIN (count, then tombstone). Its failure changes nothing: the
// attempt is already counted on disk.
func (ks *Keystore) paceLocked() { _ = ks.saveLocked() }

func (ks *Keystore) unlockLocked(dek []byte) error {
	pt, ok := openWith(dek, ks.st.secrets, ks.aad("secrets"))
	if !ok {
		clear(dek)
		return fmt.Errorf("keystore: %w: sealed secrets do not open under the data key", trust.ErrMalformed)
	}
	m, err := decodeSecrets(pt)
	clear(pt)
	if err != nil {
		clear(dek)
		return fmt.Errorf("keystore: %w", err)
	}
	k, err := x509.ParsePKCS8PrivateKey(m[deviceKeyName])
	key, ok := k.(*ecdsa.PrivateKey)
	if err != nil || !ok {
		clear(dek)
		zeroMap(m)
		return fmt.Errorf("keystore: %w: device key", trust.ErrMalformed)
	}
	ks.st.failed = 0
	if err := ks.saveLocked(); err != nil {
		ks.st.failed = 1 // not persisted either way; never report fewer than on disk
		clear(dek)
		zeroMap(m)
		return err
	}
	ks.lockLocked() // an unlock of an unlocked store drops the old copies
	ks.dek, ks.secrets, ks.key, ks.pub = dek, m, key, &key.PublicKey
	return nil
}

// Lock zeroes the in-memory keys and secrets.
func (ks *Keystore) Lock() {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	ks.lockLocked()
}

func (ks *Keystore) lockLocked() {
	clear(ks.dek)
	ks.dek = nil
	zeroMap(ks.secrets)
	ks.secrets = nil
	if ks.key != nil {
		// What we own of the key; copies the Go runtime made inside
		// crypto/ecdsa are unreachable and left to the collector
		// (docs/trust.md, "What wipe guarantees"). D is deprecated for
		// computing with keys; zeroing our copy is what it is still for.
		//lint:ignore SA1019 zeroization of the key material we own
		clear(ks.key.D.Bits())
		ks.key = nil
	}
}

func zeroMap(m map[string][]byte) {
	for k, v := range m {
		clear(v)
		delete(m, k)
	}
}

// Locked reports whether the store is locked (or wiped).
func (ks *Keystore) Locked() bool {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return ks.dek == nil
}

// ID returns the device ID the store was created for.
func (ks *Keystore) ID() trust.DeviceID {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return ks.st.id
}

// Status is what the daemon shows and acts on. Only PendingRevocation
// reveals that a duress PIN wiped the store: it is for delivering the
// request, never for display or logs.
type Status struct {
	ID          trust.DeviceID
	Locked      bool
	Wiped       bool // true only once the tombstone's attempts ran out
	Failed      int
	MaxAttempts int
	// PendingRevocation is set when the store was wiped and the exchange
	// has not yet acknowledged the device's request to be revoked.
	PendingRevocation bool
}

// Status returns the current status.
func (ks *Keystore) Status() Status {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return Status{
		ID: ks.st.id, Locked: ks.dek == nil, Wiped: ks.st.wiped && ks.st.failed >= ks.st.max,
		Failed: int(ks.st.failed), MaxAttempts: int(ks.st.max), PendingRevocation: len(ks.st.outbox) > 0,
	}
}

func pad(req []byte) []byte {
	out := make([]byte, 1+duressPad)
	out[0] = byte(len(req))
	copy(out[1:], req)
	return out
}

func unpad(p []byte) []byte {
	n := int(p[0])
	if n > duressPad {
		return nil
	}
	return append([]byte(nil), p[1:1+n]...)
}

// SetDuressPIN sets (or replaces) the duress PIN. It needs the store
// unlocked, because it pre-signs the duress revocation request with the
// device key: after a duress wipe that key no longer exists.
func (ks *Keystore) SetDuressPIN(duress []byte) error {
	if err := checkPIN(duress); err != nil {
		return err
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.dek == nil {
		return ErrLocked
	}
	kek, err := ks.kek(duress)
	if err != nil {
		return err
	}
	defer clear(kek)
	if dek, ok := openWith(kek, ks.st.main, ks.aad("main")); ok {
		clear(dek)
		return fmt.Errorf("%w: the duress PIN must differ from the PIN", ErrBadPIN)
	}
	req, err := revocation.NewRequest(ks.key, ks.st.id, revocation.ReasonDuress, ks.opt.Clock.Now())
	if err != nil {
		return fmt.Errorf("keystore: duress request: %w", err)
	}
	old := ks.st.duress
	ks.st.duress = sealWith(kek, pad(req), ks.aad("duress"))
	if err := ks.saveLocked(); err != nil {
		ks.st.duress = old
		return err
	}
	return nil
}

// ChangePIN replaces the PIN. The store must be unlocked.
func (ks *Keystore) ChangePIN(pin []byte) error {
	if err := checkPIN(pin); err != nil {
		return err
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.dek == nil {
		return ErrLocked
	}
	kek, err := ks.kek(pin)
	if err != nil {
		return err
	}
	defer clear(kek)
	if p, ok := openWith(kek, ks.st.duress, ks.aad("duress")); ok {
		clear(p)
		return fmt.Errorf("%w: the PIN must differ from the duress PIN", ErrBadPIN)
	}
	old := ks.st.main
	ks.st.main = sealWith(kek, ks.dek, ks.aad("main"))
	if err := ks.saveLocked(); err != nil {
		ks.st.main = old
		return err
	}
	return nil
}

// Put stores a named secret (sealed, persisted before Put returns).
func (ks *Keystore) Put(name string, value []byte) error {
	if name == "" || len(name) > 64 || name == deviceKeyName {
		return fmt.Errorf("keystore: put: bad name %q", name)
	}
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.dek == nil {
		return ErrLocked
	}
	old, had := ks.secrets[name]
	ks.secrets[name] = append([]byte(nil), value...)
	oldBlob := ks.st.secrets
	err := ks.sealSecretsLocked()
	if err == nil {
		err = ks.saveLocked()
	}
	if err != nil {
		ks.st.secrets = oldBlob
		if had {
			ks.secrets[name] = old
		} else {
			delete(ks.secrets, name)
		}
		return err
	}
	clear(old)
	return nil
}

// Get returns a copy of a named secret; the caller should clear it after use.
func (ks *Keystore) Get(name string) ([]byte, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.dek == nil {
		return nil, ErrLocked
	}
	v, ok := ks.secrets[name]
	if !ok || name == deviceKeyName {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	return append([]byte(nil), v...), nil
}

// Sealed returns a Store (for bundle holders and the pin set) whose bytes
// live in the named secret: sealed at rest with everything else, readable
// only while the store is unlocked. The directory names officials and the
// pins say whom this handset called, so both belong here.
func (ks *Keystore) Sealed(name string) SealedStore { return SealedStore{ks: ks, name: name} }

// SealedStore is a bundle.Store over one named secret.
type SealedStore struct {
	ks   *Keystore
	name string
}

// Load returns the stored bytes, nil if never saved.
func (s SealedStore) Load() ([]byte, error) {
	v, err := s.ks.Get(s.name)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return v, err
}

// Save replaces the stored bytes, atomically with the whole state.
func (s SealedStore) Save(b []byte) error { return s.ks.Put(s.name, b) }

// SetCertificate stores the device certificate from enrollment or renewal.
// It must be for this store's device ID and key.
func (ks *Keystore) SetCertificate(c *x509.Certificate) error {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.dek == nil {
		return ErrLocked
	}
	if c.Subject.CommonName != string(ks.st.id) || !ks.pub.Equal(c.PublicKey) {
		return fmt.Errorf("keystore: certificate is for %q or another key, not this device", c.Subject.CommonName)
	}
	old := ks.st.cert
	ks.st.cert = c.Raw
	if err := ks.saveLocked(); err != nil {
		ks.st.cert = old
		return err
	}
	return nil
}

// Certificate returns the stored device certificate, or nil before enrollment.
func (ks *Keystore) Certificate() (*x509.Certificate, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if len(ks.st.cert) == 0 {
		return nil, nil
	}
	return x509.ParseCertificate(ks.st.cert)
}

// Signer returns the device key as a crypto.Signer. It never exposes the
// private key: no method returns it, and Sign fails with ErrLocked while the
// store is locked or wiped. A secure element can implement the same
// interface.
func (ks *Keystore) Signer() (crypto.Signer, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.dek == nil {
		return nil, ErrLocked
	}
	return &signer{ks: ks, pub: ks.pub}, nil
}

type signer struct {
	ks  *Keystore
	pub *ecdsa.PublicKey
}

func (s *signer) Public() crypto.PublicKey { return s.pub }

func (s *signer) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	s.ks.mu.Lock()
	defer s.ks.mu.Unlock()
	if s.ks.key == nil || !s.ks.pub.Equal(s.pub) {
		return nil, ErrLocked
	}
	return s.ks.key.Sign(r, digest, opts)
}

// Wipe erases the store now (a technician's remote wipe, or the user's
// emergency erase) and queues the "wiped" revocation request.
func (ks *Keystore) Wipe() error {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.st.wiped {
		return nil
	}
	ks.opt.Log.Warn("keystore wipe", "reason", "requested")
	return ks.wipeLocked(ks.st.notice, ks.st.max)
}

// wipeLocked replaces the state with a tombstone carrying outbox, in one
// atomic write (the commit point), then destroys the device secret and
// zeroes memory. failed is the tombstone's attempt count: a duress wipe
// keeps counting so the phone still looks locked.
func (ks *Keystore) wipeLocked(outbox []byte, failed uint8) error {
	ts := &state{wiped: true, max: ks.st.max, failed: failed, params: ks.st.params, salt: ks.st.salt, id: ks.st.id,
		outbox: append([]byte(nil), outbox...), main: make([]byte, mainLen), duress: make([]byte, duressLen)}
	rand.Read(ts.main)
	rand.Read(ts.duress)
	old := ks.st
	ks.st = ts
	if err := ks.saveLocked(); err != nil {
		ks.st = old
		return fmt.Errorf("keystore: wipe: %w", err)
	}
	ks.lockLocked()
	clear(old.main)
	clear(old.duress)
	clear(old.secrets)
	if err := ks.secret.Destroy(); err != nil {
		return fmt.Errorf("keystore: wipe: destroy device secret: %w", err)
	}
	return nil
}

// PendingRevocation returns the signed request the daemon must deliver to
// the exchange after a wipe, or nil. It works locked.
func (ks *Keystore) PendingRevocation() []byte {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	return append([]byte(nil), ks.st.outbox...)
}

// AckRevocation clears the pending request once the exchange confirmed it.
func (ks *Keystore) AckRevocation() error {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if len(ks.st.outbox) == 0 {
		return nil
	}
	old := ks.st.outbox
	ks.st.outbox = nil
	if err := ks.saveLocked(); err != nil {
		ks.st.outbox = old
		return err
	}
	return nil
}

var _ trust.Identity = (*Keystore)(nil)
