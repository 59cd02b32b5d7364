package board

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Board is what phoned needs to know about one target: which kernel modules
// to load, where the modem, screen, keys, audio and watchdog are, and where
// the boot-slot store and the data partition live. A Board is plain data;
// nothing here opens a device.
type Board struct {
	Name        string // e.g. "qemu-x86_64"; also the board field of a signed image manifest
	Description string
	// Arch is the GOARCH phoned is built for on this board; empty for sim,
	// which runs on the developer's machine.
	Arch string
	// PID1 says phoned is the init of this board: it mounts, loads modules,
	// reaps, kicks the watchdog and powers off. False for sim, where phoned
	// is a plain process and skips every init duty.
	PID1 bool

	Kernel   Kernel
	Modem    Modem
	Display  Display
	Inputs   []Input // keypads and buttons, by the name the kernel gives them
	Keys     KeyMap  // evdev key code -> logical key, for every device in Inputs
	Audio    Audio
	Watchdog Watchdog
	// Battery is the battery's power_supply name in sysfs, e.g.
	// "axp20x-battery"; empty when the board has none (QEMU, sim).
	Battery string
	Storage Storage
	// Network is a static set-up of a data interface that is not the
	// modem's (QEMU's user network); nil when the modem brings the bearer up.
	Network *Network
	// Bench is the serial line a technician's bench cable reaches; its
	// Port is empty when the board has none.
	Bench Bench
}

// Kernel is the board's kernel: its command line and the modules phoned
// loads at boot. Module dependencies (modules.dep, modules.softdep) are
// resolved when the image is built and again when they are loaded.
type Kernel struct {
	// Args is the kernel command line the boot loader passes. It is part
	// of the signed image, so it cannot be changed without re-signing.
	Args []string
	// Modules names the modules to load, in order; their dependencies come first.
	Modules []string
}

// Modem is where the cellular modem's AT port is and how its power is switched.
type Modem struct {
	Port string // AT command port, e.g. "/dev/ttyS1"
	Baud int
	// Lines are the GPIO lines of a Quectel-class module; nil on a board
	// whose modem power cannot be switched (then Power is NoPower).
	Lines *ModemLines
}

// ModemLines names the modem's control lines on one GPIO chip.
type ModemLines struct {
	// Chip is the GPIO chip's label (GPIO_GET_CHIPINFO_IOCTL), not its
	// /dev/gpiochipN number, which follows driver probe order.
	Chip     string
	PowerKey Line  // PWRKEY: a pulse switches the module on or off
	Reset    Line  // RESET_N: held asserted, the module stays in reset
	Disable  *Line // W_DISABLE#: radio off (airplane mode); optional
	Status   *Line // STATUS input: asserted while the module is on; optional
	Timing   PowerTiming
}

// Line is one GPIO line on a chip. Asserted means "pressed" or "in reset";
// ActiveLow says the board inverts it (e.g. a transistor between the SoC
// and the module's open-drain input), and the kernel applies the inversion.
type Line struct {
	Offset    uint32
	ActiveLow bool
}

// PowerTiming holds the module's power sequencing figures (from its
// hardware design guide); zero fields take the EG25-G defaults.
type PowerTiming struct {
	PowerOnDelay time.Duration // settle time before the PWRKEY pulse after supply-up
	KeyPulse     time.Duration // PWRKEY assertion for on and for off
	ResetPulse   time.Duration // RESET_N assertion for a hardware reset
	OffTimeout   time.Duration // how long STATUS may take to drop after the off pulse
	OnTimeout    time.Duration // how long STATUS may take to rise after the on pulse
}

// Display is the screen phoned draws on.
type Display struct {
	Device        string // framebuffer device, e.g. "/dev/fb0"
	Width, Height int    // the mode the board sets up (QEMU: the VGA's EDID mode)
}

// Input is an evdev input device the UI reads keys from, found by the name
// the kernel reports (EVIOCGNAME, /sys/class/input/eventN/device/name), since
// eventN numbers follow probe order.
type Input struct {
	Name string
}

// Audio names the ALSA devices of the voice path.
type Audio struct {
	Playback string // e.g. "/dev/snd/pcmC0D0p"
	Capture  string // e.g. "/dev/snd/pcmC0D0c"; empty if the board has none
	Control  string // mixer control device, e.g. "/dev/snd/controlC0"
	// Volume, when above 0, is the level (0-1) phoned sets on every mixer
	// volume at boot, switching every mixer switch on: cards start muted.
	// 0 leaves the mixer alone, for a board whose switches include routes
	// (a microphone into the earpiece) that must stay off.
	Volume float64
}

// Watchdog is the hardware watchdog phoned keeps alive.
type Watchdog struct {
	Device  string        // e.g. "/dev/watchdog0"; empty: no watchdog
	Timeout time.Duration // set at open; phoned kicks it at a third of this
}

// Storage says where the boot-slot store and the persistent data live. Both
// are GPT partitions of Disk found by partition name (PARTNAME in sysfs
// uevent), so no udev is needed to find them, and a second disk carrying a
// partition of the same name is never picked.
type Storage struct {
	Disk    string // kernel name of the boot disk, e.g. "vda", "mmcblk2"
	BootCtl string // partition holding the A/B slot metadata
	Data    string // partition mounted read-write at DataDir
	DataFS  string // its file system type, e.g. "ext4"
	DataDir string // mount point, e.g. "/perm"; for sim, a folder the caller chooses
}

// Bench is the technician's serial line. phoned serves only a cut of its
// local API there (api.NewBenchServer): a technician's view of the state
// (no contacts, no call peer), the certificate request, installing the
// certificate, and storing the SIM PIN; the last two need the owner to
// have unlocked the screen. Nothing on it places a call, unlocks the
// handset or reads a secret, and it is a serial line, not a network port.
// A certificate installed there must still chain to the enrollment CA,
// carry this handset's own key, and outlive the one it replaces.
type Bench struct {
	Port string // e.g. "/dev/ttyS2"
	Baud int
}

// Network is a static IPv4 interface set-up.
type Network struct {
	Interface string // e.g. "eth0"
	Address   string // CIDR, e.g. "10.0.2.15/24"
	Gateway   string // default route, e.g. "10.0.2.2"
}

// ErrUnknown is returned by Lookup for a name that is not a board.
var ErrUnknown = errors.New("board: unknown board")

// Lookup returns a copy of the named board, so callers may adjust it (a
// developer pointing sim at a modem pty) without changing the profile.
func Lookup(name string) (*Board, error) {
	for _, mk := range profiles {
		if b := mk(); b.Name == name {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknown, name, Names())
}

// Names lists the known boards, sorted.
func Names() []string {
	var ns []string
	for _, mk := range profiles {
		ns = append(ns, mk().Name)
	}
	slices.Sort(ns)
	return ns
}

// profiles builds each board afresh, so no caller can mutate a shared one.
var profiles = []func() *Board{qemuX8664, handsetA64, sim}
