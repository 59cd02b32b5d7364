package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"mehfooz/daemon/state"
)

var errBadIntent = errors.New("bad intent")

// DecodeIntent strictly decodes one Intent: unknown fields, trailing data,
// an unknown kind or a missing argument are errors. The caller wipes the
// returned Intent (it may hold a PIN).
func DecodeIntent(b []byte) (state.Intent, error) {
	var in state.Intent
	if err := decodeIntent(b, &in); err != nil {
		return state.Intent{}, err
	}
	return in, nil
}

// decodeIntent decodes into in and wipes it on any error, including one
// found after the PIN was decoded (an unknown field that follows it).
func decodeIntent(b []byte, in *state.Intent) (err error) {
	defer func() {
		if err != nil {
			in.Wipe()
		}
	}()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(in); err != nil {
		return fmt.Errorf("%w: %v", errBadIntent, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: trailing data", errBadIntent)
	}
	return validate(*in)
}

func validate(in state.Intent) error {
	switch in.Kind {
	case state.IntentUnlock, state.IntentChangePIN, state.IntentSetDuressPIN:
		if len(in.PIN) < 4 || len(in.PIN) > 16 {
			return fmt.Errorf("%w: a PIN has 4 to 16 digits", errBadIntent)
		}
		for _, c := range in.PIN {
			if c < '0' || c > '9' {
				return fmt.Errorf("%w: a PIN has only digits", errBadIntent)
			}
		}
	case state.IntentSetSIMPIN:
		// A SIM PIN has 4 to 8 digits (3GPP TS 31.101 §9.4.3 / TS 27.007 +CPIN).
		if len(in.PIN) < 4 || len(in.PIN) > 8 {
			return fmt.Errorf("%w: a SIM PIN has 4 to 8 digits", errBadIntent)
		}
		for _, c := range in.PIN {
			if c < '0' || c > '9' {
				return fmt.Errorf("%w: a SIM PIN has only digits", errBadIntent)
			}
		}
	case state.IntentDial:
		if in.ContactID == "" || len(in.ContactID) > 64 {
			return fmt.Errorf("%w: dial needs a contact ID", errBadIntent)
		}
	case state.IntentAckAlert:
		if in.AlertID == "" || len(in.AlertID) > 64 {
			return fmt.Errorf("%w: ack-alert needs an alert ID", errBadIntent)
		}
	case state.IntentLock, state.IntentAnswer, state.IntentReject, state.IntentHangUp,
		state.IntentHold, state.IntentMute, state.IntentSASVerdict:
	default:
		return fmt.Errorf("%w: unknown kind %q", errBadIntent, in.Kind)
	}
	return nil
}
