package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"mehfooz/daemon/pid1"
	"mehfooz/daemon/state"
	"mehfooz/modem"
)

// ModemService runs the modem state machine and mirrors it into the state
// stream: its status on every event, its alerts as alerts the user sees.
func (d *Daemon) ModemService(cfg modem.Config) (pid1.Service, error) {
	var m *modem.Modem
	cfg.OnEvent = func(ev modem.Event) {
		if a, ok := ev.(modem.Alert); ok {
			d.Raise(alertKind(a.Kind), severity(a.Severity), a.Title, strings.Join(a.Evidence, "; "))
		}
		d.publishModem(m.Status())
	}
	m, err := modem.New(cfg)
	if err != nil {
		return pid1.Service{}, fmt.Errorf("modem: %w", err)
	}
	d.publishModem(m.Status())
	return pid1.Service{Name: "modem", Run: m.Run}, nil
}

func (d *Daemon) publishModem(s modem.Status) {
	d.hub.Update(func(snap *state.Snapshot) {
		snap.Modem = state.Modem{
			Phase:    state.ModemPhase(s.Phase),
			SIM:      simState(s.SIM),
			ICCID:    s.ICCID,
			IMSI:     s.IMSI,
			PLMN:     s.PLMN,
			Operator: s.Operator,
			RAT:      s.RAT,
			Bars:     s.Bars,
			RSSIdBm:  s.SignaldBm,
			APN:      s.APN,
			IP:       s.IP,
			Detail:   s.Detail,
		}
	})
}

// simState maps the modem's SIM states onto the five the UI knows: a
// personalisation lock is as unusable as a missing SIM.
func simState(s modem.SIMState) state.SIMState {
	switch s {
	case modem.SIMAbsent, modem.SIMLocked:
		return state.SIMAbsent
	case modem.SIMPIN:
		return state.SIMPIN
	case modem.SIMPUK:
		return state.SIMPUK
	case modem.SIMReady:
		return state.SIMReady
	}
	return state.SIMUnknown
}

func alertKind(k modem.AlertKind) state.AlertKind {
	switch k {
	case modem.AlertSIM:
		return state.AlertSIM
	case modem.AlertNoData, modem.AlertModemDead:
		return state.AlertNoService
	}
	return state.AlertBaseband
}

func severity(s modem.Severity) state.Severity {
	switch s {
	case modem.Critical:
		return state.SeverityCritical
	case modem.Warning:
		return state.SeverityWarning
	}
	return state.SeverityInfo
}

// SIMPINs gives the modem the SIM PIN stored in the keystore (the
// set-sim-pin intent: phonectl pin sim, on the bench line or the local API). Before the handset is unlocked there is none, and
// the modem leaves a PIN-locked SIM alone rather than guess.
type SIMPINs struct{ Keys *Keys }

// simPINSecret names the keystore secret holding the SIM PIN.
const simPINSecret = "sim-pin"

// ErrNoSIMPIN is returned when no SIM PIN is available.
var ErrNoSIMPIN = errors.New("no SIM PIN in the keystore")

// SIMPIN implements modem.PINSource.
func (p SIMPINs) SIMPIN(ctx context.Context, iccid string) ([]byte, error) {
	return p.Keys.simPIN()
}
