package board

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// ErrNoBattery is returned by ReadBattery on a board that names none.
var ErrNoBattery = errors.New("board: no battery")

// ReadBattery reads the charge (0-100 %) and whether it is charging from
// the board's power_supply in sysfs (sys rooted at "/"), as the kernel's
// power supply class reports them (Documentation/ABI/testing/
// sysfs-class-power: capacity, status).
func (b *Board) ReadBattery(sys fs.FS) (percent int, charging bool, err error) {
	if b.Battery == "" {
		return 0, false, ErrNoBattery
	}
	dir := path.Join("sys/class/power_supply", b.Battery)
	capRaw, err := fs.ReadFile(sys, path.Join(dir, "capacity"))
	if err != nil {
		return 0, false, fmt.Errorf("board: battery: %w", err)
	}
	statusRaw, err := fs.ReadFile(sys, path.Join(dir, "status"))
	if err != nil {
		return 0, false, fmt.Errorf("board: battery: %w", err)
	}
	return ParseBattery(capRaw, statusRaw)
}

// ParseBattery parses the contents of a power_supply's capacity and status
// files. A capacity outside 0-100 or an unknown status is an error.
func ParseBattery(capacity, status []byte) (percent int, charging bool, err error) {
	c := strings.TrimSuffix(string(capacity), "\n")
	percent, err = strconv.Atoi(c)
	if err != nil || percent < 0 || percent > 100 || c != strconv.Itoa(percent) {
		return 0, false, fmt.Errorf("board: battery capacity %q: want 0-100", c)
	}
	switch s := strings.TrimSuffix(string(status), "\n"); s {
	case "Charging", "Full":
		return percent, true, nil
	case "Discharging", "Not charging", "Unknown":
		return percent, false, nil
	default:
		return 0, false, fmt.Errorf("board: battery status %q", s)
	}
}
