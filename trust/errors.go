package trust

import "errors"

// Every rejection in the trust layer wraps exactly one of these, so callers
// (the exchange, the call layer, the UI) branch with errors.Is and the audit
// log can name the reason. docs/trust.md maps each to the test that shows it.
var (
	// ErrUnenrolled: the peer presented no certificate, or bytes that are not one.
	ErrUnenrolled = errors.New("trust: peer is not enrolled (no certificate)")
	// ErrWrongCA: the certificate does not chain to the enrollment CA.
	ErrWrongCA = errors.New("trust: certificate not issued by the enrollment CA")
	// ErrExpired: the certificate (or the CA) is past its NotAfter.
	ErrExpired = errors.New("trust: certificate expired")
	// ErrNotYetValid: the certificate (or the CA) is before its NotBefore.
	ErrNotYetValid = errors.New("trust: certificate not yet valid")
	// ErrWrongEKU: the extended key usages are not exactly those of the role.
	ErrWrongEKU = errors.New("trust: certificate has the wrong extended key usage")
	// ErrWrongRole: the certificate is for another role (device, technician, exchange, publisher).
	ErrWrongRole = errors.New("trust: certificate is for another role")
	// ErrKeyType: the key is not ECDSA P-384.
	ErrKeyType = errors.New("trust: certificate key is not ECDSA P-384")
	// ErrBadDeviceID: the subject does not carry a well-formed device ID.
	ErrBadDeviceID = errors.New("trust: malformed device ID")
	// ErrRevoked: the device is on the revocation list.
	ErrRevoked = errors.New("trust: device revoked")
	// ErrNotInDirectory: the device has no directory entry (not whitelisted).
	ErrNotInDirectory = errors.New("trust: device not in the directory")
	// ErrFingerprintMismatch: the certificate is not the one the directory lists.
	ErrFingerprintMismatch = errors.New("trust: certificate fingerprint does not match the directory")
	// ErrPolicyForbids: the directory policy does not allow this caller to call this callee.
	ErrPolicyForbids = errors.New("trust: directory policy forbids this call")
	// ErrNoDirectory: no verified directory is held yet, so nobody is whitelisted.
	ErrNoDirectory = errors.New("trust: no directory held")
	// ErrNoRevocationList: no verified revocation list is held yet.
	ErrNoRevocationList = errors.New("trust: no revocation list held")
	// ErrStaleRevocation: the held revocation list is past its expiry.
	ErrStaleRevocation = errors.New("trust: revocation list expired")
	// ErrPinMismatch: a contact's key changed without a new directory entry.
	ErrPinMismatch = errors.New("trust: contact key changed without a new directory entry")

	// ErrMalformed: bytes from outside failed strict decoding.
	ErrMalformed = errors.New("trust: malformed input")
	// ErrBadSignature: a signed bundle or request does not verify.
	ErrBadSignature = errors.New("trust: bad signature")
	// ErrRollback: a bundle is not newer than the one held.
	ErrRollback = errors.New("trust: bundle older than or equal to the one held")
)
