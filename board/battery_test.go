package board

import (
	"errors"
	"testing"
	"testing/fstest"
)

func TestReadBattery(t *testing.T) {
	b, _ := Lookup("handset-a64")
	sys := fstest.MapFS{
		"sys/class/power_supply/axp20x-battery/capacity": {Data: []byte("67\n")},
		"sys/class/power_supply/axp20x-battery/status":   {Data: []byte("Charging\n")},
	}
	if p, ch, err := b.ReadBattery(sys); err != nil || p != 67 || !ch {
		t.Fatalf("ReadBattery = %d %v %v", p, ch, err)
	}
	q, _ := Lookup("qemu-x86_64")
	if _, _, err := q.ReadBattery(sys); !errors.Is(err, ErrNoBattery) {
		t.Fatalf("a board without a battery: %v", err)
	}
	if _, _, err := b.ReadBattery(fstest.MapFS{}); err == nil {
		t.Fatal("a missing power_supply read as a battery")
	}
}

func TestParseBattery(t *testing.T) {
	for _, c := range []struct {
		capacity, status string
		percent          int
		charging, ok     bool
	}{
		{"100\n", "Full\n", 100, true, true},
		{"0\n", "Discharging\n", 0, false, true},
		{"42", "Not charging", 42, false, true},
		{"101\n", "Full\n", 0, false, false},
		{"-1\n", "Full\n", 0, false, false},
		{"07\n", "Full\n", 0, false, false},
		{" 7\n", "Full\n", 0, false, false},
		{"50\n", "charging\n", 0, false, false},
		{"50\n\n", "Full\n", 0, false, false},
	} {
		p, ch, err := ParseBattery([]byte(c.capacity), []byte(c.status))
		if (err == nil) != c.ok || p != c.percent || ch != c.charging {
			t.Errorf("ParseBattery(%q, %q) = %d %v %v", c.capacity, c.status, p, ch, err)
		}
	}
}

func FuzzParseBattery(f *testing.F) {
	f.Add([]byte("67\n"), []byte("Charging\n"))
	f.Fuzz(func(t *testing.T, capacity, status []byte) {
		p, _, err := ParseBattery(capacity, status)
		if err == nil && (p < 0 || p > 100) {
			t.Fatalf("accepted capacity %d", p)
		}
	})
}
