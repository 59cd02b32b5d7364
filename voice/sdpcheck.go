package voice

import (
	"fmt"
	"strings"

	"github.com/pion/sdp/v3"
)

// checkSDPMedia requires the peer's description to carry exactly one media
// section, audio, offering Opus at 48 kHz (RFC 7587 section 7): a call is
// Opus only, and a peer that offers anything else (or nothing) would connect
// without sound.
func checkSDPMedia(sd string) error {
	var s sdp.SessionDescription
	if err := s.UnmarshalString(sd); err != nil {
		return fmt.Errorf("SDP: %w", err)
	}
	if len(s.MediaDescriptions) != 1 {
		return fmt.Errorf("SDP has %d media sections, want one audio section", len(s.MediaDescriptions))
	}
	md := s.MediaDescriptions[0]
	if md.MediaName.Media != "audio" {
		return fmt.Errorf("SDP media %q, want audio", md.MediaName.Media)
	}
	for _, a := range md.Attributes {
		if a.Key == "rtpmap" {
			if _, enc, ok := strings.Cut(a.Value, " "); ok && strings.HasPrefix(strings.ToLower(enc), "opus/48000") {
				return nil
			}
		}
	}
	return fmt.Errorf("SDP audio offers no Opus")
}
