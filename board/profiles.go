package board

import "time"

// qemuX8664 is the emulated handset testers boot: QEMU's q35 machine under
// TCG with Debian's stock kernel. The devices match the harness's command
// line (image/qemu): std VGA (bochs-drm gives /dev/fb0), a virtio keyboard,
// the modem simulator on the second UART, AC97 audio, the i6300esb watchdog,
// virtio-rng, a virtio disk, a virtio NIC on QEMU's user network, and the
// technician's bench line on the third UART.
func qemuX8664() *Board {
	return &Board{
		Name:        "qemu-x86_64",
		Description: "QEMU q35 (TCG) emulated handset with Debian's stock kernel",
		Arch:        "amd64",
		PID1:        true,
		Kernel: Kernel{
			// vt.global_cursor_default=0 keeps fbcon's cursor off our UI;
			// panic=-1 reboots at once (QEMU -no-reboot then exits).
			Args: []string{"console=ttyS0", "quiet", "vt.global_cursor_default=0", "panic=-1"},
			Modules: []string{
				"virtio_pci", "virtio_blk", "virtio_rng", "virtio_net", "virtio_input",
				"evdev", "button", "bochs", "snd_intel8x0", "i6300esb", "ext4",
			},
		},
		// The simulator has no power lines: Lines is nil, Power is NoPower.
		Modem:   Modem{Port: "/dev/ttyS1", Baud: 115200},
		Display: Display{Device: "/dev/fb0", Width: 480, Height: 800},
		Inputs:  []Input{{Name: "QEMU Virtio Keyboard"}, {Name: "AT Translated Set 2 keyboard"}, {Name: "Power Button"}},
		Keys:    pcKeys(),
		// AC97 resets muted; every one of its switches is a mute or a
		// harmless effect, so all on at 80 % is a sane level.
		Audio:    Audio{Playback: "/dev/snd/pcmC0D0p", Control: "/dev/snd/controlC0", Volume: 0.8},
		Watchdog: Watchdog{Device: "/dev/watchdog0", Timeout: 30 * time.Second},
		Storage:  Storage{Disk: "vda", BootCtl: "bootctl", Data: "perm", DataFS: "ext4", DataDir: "/perm"},
		// QEMU's user network (slirp): the guest's fixed address, and the
		// host's loopback, where the exchange runs, as the gateway 10.0.2.2.
		Network: &Network{Interface: "eth0", Address: "10.0.2.15/24", Gateway: "10.0.2.2"},
		// The third UART: the harness's bench socket (image/qemu).
		Bench: Bench{Port: "/dev/ttyS2", Baud: 115200},
	}
}

// handsetA64 is the reference handset: an Allwinner A64 board with the
// Quectel EG25-G wired as on the PINE64 PinePhone 1.2 (AT port on UART3,
// control lines on the "1c20800.pinctrl" chip, offsets as in its schematic
// and in eg25-manager's pine64,pinephone-1.2 profile), a matrix keypad from
// the device tree, the AXP803 power key and the SoC's audio codec. Its kernel
// is built for the board with every driver built in, so it loads no modules.
func handsetA64() *Board {
	return &Board{
		Name:        "handset-a64",
		Description: "reference handset: Allwinner A64, Quectel EG25-G on UART3 with PWRKEY/RESET lines, matrix keypad",
		Arch:        "arm64",
		PID1:        true,
		Kernel: Kernel{
			Args: []string{"console=ttyS0,115200", "quiet", "vt.global_cursor_default=0", "panic=5"},
		},
		Modem: Modem{
			Port: "/dev/ttyS2",
			Baud: 115200,
			// The SoC drives PWRKEY and RESET_N through transistors, so a
			// high line asserts them; STATUS arrives inverted, so the
			// module is on while the line reads low.
			Lines: &ModemLines{
				Chip:     "1c20800.pinctrl",
				PowerKey: Line{Offset: 35},                    // PB3
				Reset:    Line{Offset: 68},                    // PC4
				Disable:  &Line{Offset: 232},                  // PH8
				Status:   &Line{Offset: 233, ActiveLow: true}, // PH9
			},
		},
		Display:  Display{Device: "/dev/fb0", Width: 720, Height: 1440},
		Inputs:   []Input{{Name: "matrix-keypad"}, {Name: "axp20x-pek"}, {Name: "1c21800.lradc"}},
		Keys:     keypadKeys(),
		Audio:    Audio{Playback: "/dev/snd/pcmC0D0p", Capture: "/dev/snd/pcmC0D0c", Control: "/dev/snd/controlC0"},
		Watchdog: Watchdog{Device: "/dev/watchdog0", Timeout: 16 * time.Second}, // sunxi-wdt's maximum
		Battery:  "axp20x-battery",                                              // the AXP803's fuel gauge
		Storage:  Storage{Disk: "mmcblk2", BootCtl: "bootctl", Data: "perm", DataFS: "ext4", DataDir: "/perm"},
	}
}

// sim is phoned as a plain process on a developer's machine: no init duties,
// no devices of its own; the command line supplies the modem pty and the
// data folder.
func sim() *Board {
	return &Board{
		Name:        "sim",
		Description: "phoned as a plain process for development; no init duties",
		Keys:        pcKeys(),
	}
}

// pcKeys maps a PC keyboard (QEMU's virtio or PS/2 keyboard, whose keys
// testers inject with sendkey) onto the handset's keys: digits on both the
// top row and the numeric pad, * and # on the pad's * and /, arrows, Enter
// for OK, Esc for Back, F1/F2 for the soft keys, F3/F4 (or Send/End) for
// call and hang up.
func pcKeys() KeyMap {
	m := KeyMap{
		keyKPAsterisk: "*", keyKPSlash: "#",
		keyUp: "up", keyDown: "down", keyLeft: "left", keyRight: "right",
		keyEnter: "ok", keyKPEnter: "ok", keyEsc: "back", keyBackspace: "clear",
		keyF1: "soft-left", keyF2: "soft-right",
		keyF3: "call", keySend: "call", keyF4: "end", keyEnd: "end",
		keyVolumeUp: "volume-up", keyVolumeDown: "volume-down", keyPower: "power",
	}
	m.digits([10]uint16{key0, key1, key1 + 1, key1 + 2, key1 + 3, key1 + 4, key1 + 5, key1 + 6, key1 + 7, key1 + 8})
	m.digits([10]uint16{keyKP0, keyKP1, keyKP2, keyKP3, keyKP4, keyKP5, keyKP6, keyKP7, keyKP8, keyKP9})
	return m
}

// keypadKeys maps a handset matrix keypad whose device tree
// linux,keymap emits the KEY_NUMERIC_* codes meant for phone keypads.
func keypadKeys() KeyMap {
	m := KeyMap{
		keyNumericStar: "*", keyNumericPound: "#",
		keyUp: "up", keyDown: "down", keyLeft: "left", keyRight: "right",
		keyOK: "ok", keyBack: "back", keyBackspace: "clear",
		keyF1: "soft-left", keyF2: "soft-right",
		keySend: "call", keyEnd: "end",
		keyVolumeUp: "volume-up", keyVolumeDown: "volume-down", keyPower: "power",
	}
	var nums [10]uint16
	for d := range nums {
		nums[d] = keyNumeric0 + uint16(d)
	}
	m.digits(nums)
	return m
}
