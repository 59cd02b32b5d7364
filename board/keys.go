package board

// Key codes from the Linux UAPI header include/uapi/linux/input-event-codes.h
// that our boards' keypads and QEMU's keyboards emit.
const (
	keyEsc          = 1
	key1            = 2 // key1..key9 are 2..10
	key0            = 11
	keyBackspace    = 14
	keyEnter        = 28
	keyKPAsterisk   = 55
	keyF1           = 59
	keyF2           = 60
	keyF3           = 61
	keyF4           = 62
	keyKP7          = 71
	keyKP8          = 72
	keyKP9          = 73
	keyKP4          = 75
	keyKP5          = 76
	keyKP6          = 77
	keyKP1          = 79
	keyKP2          = 80
	keyKP3          = 81
	keyKP0          = 82
	keyKPEnter      = 96
	keyKPSlash      = 98
	keyUp           = 103
	keyLeft         = 105
	keyRight        = 106
	keyEnd          = 107
	keyDown         = 108
	keyVolumeDown   = 114
	keyVolumeUp     = 115
	keyPower        = 116
	keyMenu         = 139
	keyBack         = 158
	keySend         = 231
	keyOK           = 0x160
	keyNumeric0     = 0x200 // KEY_NUMERIC_0..9 are 0x200..0x209
	keyNumericStar  = 0x20a
	keyNumericPound = 0x20b
)

// KeyMap maps an evdev key code (EV_KEY) to a logical key, named as the UI's
// key set (ui/key) names it: "0".."9", "*", "#", "up", "ok", "call", "end",
// ... The UI turns it into its typed map with ui/input.ParseKeymap, which
// rejects a misspelt name at start-up. Codes not in the map are ignored.
type KeyMap map[uint16]string

// digits maps ten consecutive or listed codes onto "0".."9".
func (m KeyMap) digits(codes [10]uint16) {
	for d, c := range codes {
		m[c] = string(rune('0' + d))
	}
}
