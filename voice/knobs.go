package voice

import "github.com/pion/dtls/v3"

// testKnobs make a Phone behave like a rogue or broken handset, so the tests
// can show that an honest Phone refuses it. Only tests in this package set
// them; a Config built elsewhere cannot.
type testKnobs struct {
	srtpProfiles []dtls.SRTPProtectionProfile // offer these SRTP profiles instead of AEAD_AES_256_GCM only
	noInnerLayer bool                         // invite without an ML-KEM key
	sendUnsealed bool                         // send frames without the inner layer
	badReveal    bool                         // reveal another SAS nonce than the one committed to
	noReveal     bool                         // never reveal the SAS nonce
	mungeSDP     func(string) string          // rewrite the invite's SDP before signing it
}
