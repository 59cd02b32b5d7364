// Package voice places and answers secure calls between enrolled handsets.
//
// A Phone owns at most one call at a time. Call setup travels as signed
// messages (package setup) over a Signaling the daemon provides; media runs
// over pion/webrtc with relay-only ICE through the exchange's TURN server,
// DTLS 1.2 with each handset's enrolled certificate verified against the
// enrollment CA in both roles and pinned to the fingerprint the signed
// message names, and SRTP with AEAD_AES_256_GCM only. Inside SRTP every Opus
// frame is sealed again (package seal) under keys from an ML-KEM-1024 exchange
// carried in the signed invite and answer, bound to the DTLS session and the
// call transcript. Both screens show a short authentication string (package
// sas) with a ZRTP-style commitment. Hang-up erases every call secret.
//
// A Phone is an actor: one goroutine (Run) owns all call state; the methods
// the UI calls (Dial, Answer, HangUp, ...) and everything pion reports become
// events on that goroutine. Every change is published to Config.OnUpdate.
package voice
