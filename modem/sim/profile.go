package sim

import (
	"fmt"
	"strings"
)

// Profile is a family of modem firmware: what it says it is and the quirks
// a driver meets on it.
type Profile struct {
	Name         string
	Manufacturer string // +CGMI
	Model        string // +CGMM
	Revision     string // +CGMR
	FullRevision string // Quectel +QGMR
	IMEI         string // +CGSN
	// Quectel enables the Quectel command set (+QCFG, +QENG, +QCCID,
	// +QURCCFG, +QSIMSTAT, +QPINC, +QGMR) and boot URCs (RDY, +CFUN: 1,
	// +CPIN: READY, +QUSIM: 1, +QIND: SMS DONE, +QIND: PB DONE).
	Quectel bool
	// WS46 enables +WS46, the 27.007 way to lock the radio technology.
	WS46 bool
	// SIMBusy makes SIM commands fail with +CME ERROR: 14 until the card
	// has initialised after boot or insertion (Config.SIMInitDelay).
	SIMBusy bool
	// PersistContexts keeps +CGDCONT definitions across a reboot, as
	// firmware that stores them in NV does.
	PersistContexts bool
	// Contexts are the PDP contexts defined at the factory.
	Contexts []Context
	// CREGMax is the highest +CREG <n> the firmware accepts.
	CREGMax int
}

// Context is a PDP context definition (+CGDCONT).
type Context struct {
	CID  int
	Type string // "IP", "IPV6" or "IPV4V6"
	APN  string
}

// EG25G is a Quectel EG25-G on a recent firmware, as fitted in handsets.
// Its factory contexts include the IMS and emergency APNs, which a daemon
// that wants only its private APN has to delete.
var EG25G = Profile{
	Name:            "eg25g",
	Manufacturer:    "Quectel",
	Model:           "EG25",
	Revision:        "EG25GGBR07A08M2G",
	FullRevision:    "EG25GGBR07A08M2G_01.003.01.003",
	IMEI:            "866758042153425",
	Quectel:         true,
	SIMBusy:         true,
	PersistContexts: true,
	Contexts: []Context{
		{1, "IPV4V6", ""},
		{2, "IPV4V6", "ims"},
		{3, "IPV4V6", "sos"},
	},
	CREGMax: 2,
}

// Generic is a plain 3GPP TS 27.007 modem: no vendor commands (they answer
// ERROR), +WS46 for the radio lock, no boot URCs, no factory contexts.
var Generic = Profile{
	Name:         "generic",
	Manufacturer: "Mehfooz",
	Model:        "SIM27007",
	Revision:     "SIM27007_1.0",
	IMEI:         "356938035643809",
	WS46:         true,
	CREGMax:      3,
}

// Profiles lists the built-in profiles.
var Profiles = []*Profile{&EG25G, &Generic}

// ProfileByName returns the built-in profile with that name.
func ProfileByName(name string) (*Profile, error) {
	for _, p := range Profiles {
		if strings.EqualFold(p.Name, name) {
			return p, nil
		}
	}
	names := make([]string, len(Profiles))
	for i, p := range Profiles {
		names[i] = p.Name
	}
	return nil, fmt.Errorf("unknown modem profile %q (have %s)", name, strings.Join(names, ", "))
}
