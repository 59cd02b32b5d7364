package daemon

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"mehfooz/daemon/api"
	"mehfooz/daemon/state"
	"mehfooz/trust"
	"mehfooz/trust/enroll"
	"mehfooz/trust/keystore"
)

// Keys owns the handset's keystore: the first-boot set-up (the first PIN
// entered becomes the PIN, and the device key is generated), unlocking from
// the lock screen, the screen lock, wipes, and enrollment. The subsystems
// that need the device key wait on Ready.
//
// The screen lock is not the keystore lock: once unlocked after boot the
// device key stays in memory, so an incoming call can ring a locked screen
// and the link to the exchange survives; re-entering the PIN is checked by
// the keystore all the same, and wrong PINs count towards the wipe.
type Keys struct {
	d      *Daemon
	dir    string
	secret keystore.DeviceSecret
	id     trust.DeviceID
	verify *trust.Verifier
	opts   keystore.Options

	mu    sync.Mutex
	ks    *keystore.Keystore // nil before the first PIN on a new handset
	ready chan struct{}      // closed once unlocked and enrolled
	wiped chan struct{}      // closed when the keystore is wiped
}

// NewKeys opens the keystore in dir for device id. A handset without one
// yet is set up by its first unlock.
func NewKeys(d *Daemon, dir string, secret keystore.DeviceSecret, id trust.DeviceID, v *trust.Verifier, opts keystore.Options) (*Keys, error) {
	k := &Keys{d: d, dir: dir, secret: secret, id: id, verify: v, opts: opts,
		ready: make(chan struct{}), wiped: make(chan struct{})}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	ks, err := keystore.Open(dir, secret, opts)
	switch {
	case errors.Is(err, keystore.ErrNotInitialized):
	case err != nil:
		return nil, fmt.Errorf("keys: %w", err)
	default:
		if ks.ID() != id {
			return nil, fmt.Errorf("keys: the keystore belongs to %s, not %s", ks.ID(), id)
		}
		k.ks = ks
	}
	d.Handle(state.IntentUnlock, k.unlock)
	d.Handle(state.IntentLock, k.lock)
	d.Handle(state.IntentChangePIN, k.changePIN)
	d.Handle(state.IntentSetDuressPIN, k.setDuressPIN)
	d.Handle(state.IntentSetSIMPIN, k.setSIMPIN)
	d.SetEnroller(k)
	k.publish(true)
	if ks != nil && ks.Status().PendingRevocation {
		// Wiped in an earlier boot, and the exchange was never told.
		close(k.wiped)
	}
	return k, nil
}

// Ready is closed once the keystore is unlocked and holds a certificate.
func (k *Keys) Ready() <-chan struct{} { return k.ready }

// Wiped is closed when the keystore was wiped (by PIN count, duress or order).
func (k *Keys) Wiped() <-chan struct{} { return k.wiped }

// Store returns the keystore once Ready; nil before.
func (k *Keys) Store() *keystore.Keystore {
	k.mu.Lock()
	defer k.mu.Unlock()
	select {
	case <-k.ready:
		return k.ks
	default:
		return nil
	}
}

// PendingRevocation returns the signed "revoke me" request left by a wipe.
func (k *Keys) PendingRevocation() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ks == nil {
		return nil
	}
	return k.ks.PendingRevocation()
}

// AckRevocation records that the exchange took the request.
func (k *Keys) AckRevocation() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ks == nil {
		return nil
	}
	return k.ks.AckRevocation()
}

// publish writes the lock state; locked says whether the screen is locked.
func (k *Keys) publish(locked bool) {
	st := state.Lock{Locked: locked, MaxAttempts: keystore.DefaultMaxAttempts, Setup: k.ks == nil}
	if k.ks != nil {
		s := k.ks.Status()
		st.WrongPINs, st.MaxAttempts, st.Wiped = s.Failed, s.MaxAttempts, s.Wiped
	}
	k.d.setLock(st, string(k.id))
}

// releaseKDFMemory hands argon2id's work area (64 MiB with seal.Handset)
// back to the kernel at once instead of when Go's scavenger gets to it: a
// handset's RAM is small. Every PIN path calls it alike, right or wrong.
func releaseKDFMemory() { debug.FreeOSMemory() }

func (k *Keys) unlock(_ context.Context, in state.Intent) error {
	defer releaseKDFMemory()
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ks == nil {
		ks, err := keystore.Create(k.dir, k.secret, k.id, in.PIN, k.opts)
		if err != nil {
			return fmt.Errorf("set up: %w: %v", api.ErrRejected, err)
		}
		k.ks = ks
		k.d.log.Info("keystore created", "device", k.id)
		k.afterUnlock()
		return nil
	}
	wasWiped := k.ks.Status().Wiped
	err := k.ks.Unlock(in.PIN)
	var wrong *keystore.WrongPINError
	switch {
	case err == nil:
		k.afterUnlock()
		return nil
	case errors.As(err, &wrong), errors.Is(err, keystore.ErrWiped):
		// A duress PIN answers exactly like a wrong one; only a pending
		// revocation request shows that the store is gone, and nothing
		// here may show or log it before the attempts run out.
		k.publish(true)
		k.checkWiped()
		if !wasWiped && errors.Is(err, keystore.ErrWiped) {
			k.d.log.Warn("keystore wiped", "reason", "wrong PINs")
		}
		return fmt.Errorf("unlock: %w: %v", api.ErrRejected, err)
	default:
		// The PIN was not tried (no device secret, a write failed): the
		// user must see why the screen does not open.
		k.d.Raise(state.AlertKeystore, state.SeverityCritical, "Keystore unreadable", err.Error())
		return fmt.Errorf("unlock: %w", err)
	}
}

// afterUnlock publishes the unlocked screen and, if the handset is
// enrolled, makes the keys Ready. k.mu is held.
func (k *Keys) afterUnlock() {
	k.publish(false)
	if c, err := k.ks.Certificate(); err == nil && c != nil {
		k.markReady()
	}
}

func (k *Keys) markReady() {
	select {
	case <-k.ready:
	default:
		close(k.ready)
	}
}

// checkWiped notices a wipe by the revocation request it leaves, and
// closes Wiped so the link delivers it. It logs nothing: after a duress PIN
// the log must read as after a wrong one. k.mu is held.
func (k *Keys) checkWiped() {
	if len(k.ks.PendingRevocation()) == 0 {
		return
	}
	select {
	case <-k.wiped:
	default:
		close(k.wiped)
	}
}

// Wipe erases the keystore now (a technician's verified wipe order).
func (k *Keys) Wipe() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ks == nil {
		return nil
	}
	if err := k.ks.Wipe(); err != nil {
		return err
	}
	k.d.log.Warn("keystore wiped", "reason", "order")
	k.publish(true)
	k.checkWiped()
	return nil
}

func (k *Keys) lock(context.Context, state.Intent) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ks == nil {
		return fmt.Errorf("lock: %w: no PIN set yet", api.ErrRejected)
	}
	k.publish(true)
	return nil
}

// changePIN sets a new PIN; the screen must be unlocked, so whoever holds
// a locked handset cannot.
func (k *Keys) changePIN(_ context.Context, in state.Intent) error {
	defer releaseKDFMemory()
	return k.unlocked("change PIN", func(ks *keystore.Keystore) error { return ks.ChangePIN(in.PIN) })
}

// setDuressPIN sets the PIN that, entered on the lock screen, silently wipes
// the handset and asks the exchange to revoke it.
func (k *Keys) setDuressPIN(_ context.Context, in state.Intent) error {
	defer releaseKDFMemory()
	return k.unlocked("set duress PIN", func(ks *keystore.Keystore) error { return ks.SetDuressPIN(in.PIN) })
}

// setSIMPIN stores the SIM PIN the modem enters once per boot (SIMPINs).
// The modem's SIM check polls, so a SIM waiting for a first stored PIN
// takes it within a poll; a corrected PIN is tried at the next boot, since
// the modem spends at most one attempt per boot.
func (k *Keys) setSIMPIN(_ context.Context, in state.Intent) error {
	return k.unlocked("set SIM PIN", func(ks *keystore.Keystore) error { return ks.Put(simPINSecret, in.PIN) })
}

// simPIN returns the stored SIM PIN once the keystore has been opened this
// boot (enrolled or not: the SIM may need it before the bench).
func (k *Keys) simPIN() ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ks == nil || k.ks.Locked() {
		return nil, fmt.Errorf("%w: handset locked", ErrNoSIMPIN)
	}
	pin, err := k.ks.Get(simPINSecret)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, ErrNoSIMPIN
	}
	return pin, err
}

// unlocked runs f on the keystore if the screen is unlocked.
func (k *Keys) unlocked(what string, f func(*keystore.Keystore) error) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ks == nil || k.ks.Locked() || k.d.Hub().Current().Lock.Locked {
		return fmt.Errorf("%s: %w: unlock the handset first", what, api.ErrRejected)
	}
	if err := f(k.ks); err != nil {
		return fmt.Errorf("%s: %w: %v", what, api.ErrRejected, err)
	}
	return nil
}

// EnrollRequest returns the PEM certificate request a technician signs with
// `phonectl enroll`. It needs the keystore unlocked.
func (k *Keys) EnrollRequest(context.Context) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.ks == nil || k.ks.Locked() {
		return nil, fmt.Errorf("enroll request: %w: unlock the handset first", api.ErrRejected)
	}
	signer, err := k.ks.Signer()
	if err != nil {
		return nil, fmt.Errorf("enroll request: %w", err)
	}
	der, err := enroll.NewRequest(signer, k.id)
	if err != nil {
		return nil, fmt.Errorf("enroll request: %w", err)
	}
	return enroll.EncodePEM(der), nil
}

// InstallCertificate stores the certificate the technician issued. It must
// be a device certificate from the enrollment CA for this handset's ID and
// key; anything else is refused and nothing changes.
func (k *Keys) InstallCertificate(_ context.Context, pemBytes []byte) error {
	blk, _ := pem.Decode(pemBytes)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return fmt.Errorf("install certificate: %w: not a PEM certificate", api.ErrRejected)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return fmt.Errorf("install certificate: %w: %v", api.ErrRejected, err)
	}
	id, err := k.verify.Device(cert)
	if err != nil {
		return fmt.Errorf("install certificate: %w: %v", api.ErrRejected, err)
	}
	if id != k.id {
		return fmt.Errorf("install certificate: %w: issued to %s, this handset is %s", api.ErrRejected, id, k.id)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	// The owner is present at the bench: the screen, not only the
	// keystore, must be unlocked, so a cable on a handset left locked can
	// change nothing.
	if k.ks == nil || k.ks.Locked() || k.d.Hub().Current().Lock.Locked {
		return fmt.Errorf("install certificate: %w: unlock the handset first", api.ErrRejected)
	}
	// Only a newer certificate replaces the one held: putting back the one
	// a renewal replaced (certificates are public) would break the
	// directory's pin and shorten the handset's life.
	if cur, err := k.ks.Certificate(); err == nil && cur != nil && !cert.NotAfter.After(cur.NotAfter) {
		return fmt.Errorf("install certificate: %w: valid until %s, not after the installed one's %s",
			api.ErrRejected, cert.NotAfter.Format(time.RFC3339), cur.NotAfter.Format(time.RFC3339))
	}
	if err := k.ks.SetCertificate(cert); err != nil {
		return fmt.Errorf("install certificate: %w: %v", api.ErrRejected, err)
	}
	k.d.log.Info("certificate installed", "device", id, "not_after", cert.NotAfter)
	k.markReady()
	return nil
}
