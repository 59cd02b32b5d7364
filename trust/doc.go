// Package trust decides who may talk. It holds the identity types shared by
// the whole trust layer (device IDs, certificate fingerprints, roles), the
// sentinel errors every rejection maps to, and the Verifier that checks a
// peer certificate against the one enrollment CA.
//
// The rest of the layer lives in sub-packages: ca (the enrollment CA and
// certificate issuance), enroll (the handset's certificate request), seal
// (passphrase sealing), directory (the signed whitelist and call policy),
// revocation (the signed revocation list), whitelist (the admission decision
// that combines them), pin (per-contact key continuity) and keystore (the
// handset's sealed secrets and device key). Crash-safe writes come from the
// top-level atomicfile package.
// docs/trust.md describes the formats and the key hierarchy.
package trust
