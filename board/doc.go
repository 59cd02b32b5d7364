// Package board describes the hardware a handset image runs on: device paths,
// the modem's power lines, the watchdog and the audio device, for the real
// handset, QEMU boards and the simulator. Drivers elsewhere take interfaces
// from here so they never touch GPIO or sysfs themselves.
package board
