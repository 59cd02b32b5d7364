package alsa

import (
	"errors"
	"path/filepath"
	"syscall"
	"testing"
	"unsafe"
)

// card is a model of a control device's elements.
type card struct {
	elems  []elem
	closed bool
}

type elem struct {
	name          string
	typ           int32
	access        uint32
	count         uint32
	min, max, stp int
	values        []int
}

func (c *card) Ioctl(req uintptr, arg unsafe.Pointer) error {
	switch req {
	case ioctlElemList:
		l := (*ctlElemList)(arg)
		l.count = uint32(len(c.elems))
		if l.space == 0 {
			return nil
		}
		ids := unsafe.Slice((*ctlElemID)(l.pids), l.space)
		l.used = 0
		for i, e := range c.elems[:min(len(c.elems), int(l.space))] {
			ids[i] = ctlElemID{numid: uint32(i + 1)}
			copy(ids[i].name[:], e.name)
			l.used++
		}
	case ioctlElemInfo:
		info := (*ctlElemInfo)(arg)
		e, err := c.elem(info.id.numid)
		if err != nil {
			return err
		}
		info.typ, info.access, info.count = e.typ, e.access, e.count
		for i, v := range []int{e.min, e.max, e.stp} {
			*(*int)(unsafe.Pointer(&info.value[i*longSize])) = v
		}
	case ioctlElemWrite:
		val := (*ctlElemValue)(arg)
		e, err := c.elem(val.id.numid)
		if err != nil {
			return err
		}
		if e.access&ctlAccessWrite == 0 {
			return syscall.EPERM
		}
		vals := unsafe.Slice((*int)(unsafe.Pointer(&val.value[0])), 128)
		e.values = append(e.values[:0], vals[:e.count]...)
	default:
		return syscall.ENOTTY
	}
	return nil
}

func (c *card) elem(numid uint32) (*elem, error) {
	if numid == 0 || int(numid) > len(c.elems) {
		return nil, syscall.ENOENT
	}
	return &c.elems[numid-1], nil
}

func (c *card) Transfer(uintptr, unsafe.Pointer) error { return syscall.ENOTTY }
func (c *card) Close() error                           { c.closed = true; return nil }

func TestMixerUnmutesAndSetsVolumes(t *testing.T) {
	rw := uint32(1 | ctlAccessWrite)
	c := &card{elems: []elem{
		{name: "Master Playback Switch", typ: ctlTypeBoolean, access: rw, count: 2},
		{name: "Master Playback Volume", typ: ctlTypeInteger, access: rw, count: 2, max: 31, stp: 1},
		{name: "Mic Boost", typ: ctlTypeInteger, access: rw, count: 1, min: -12, max: 20, stp: 4},
		{name: "Capture Source", typ: 3, access: rw, count: 2},          // enumerated: left alone
		{name: "Jack Detect", typ: ctlTypeBoolean, access: 1, count: 1}, // read-only
		{name: "Inactive", typ: ctlTypeBoolean, access: rw | ctlAccessInact, count: 1},
	}}
	m := NewMixer(c)
	n, err := m.SetLevels(0.75)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Fatalf("set %d elements, want 3", n)
	}
	want := map[string][]int{
		"Master Playback Switch": {1, 1},
		"Master Playback Volume": {23, 23}, // 0.75 of 0-31
		"Mic Boost":              {12},     // -12 + 0.75*32 = 12, on the 4-step grid
	}
	for _, e := range c.elems {
		if w, ok := want[e.name]; ok {
			if len(e.values) != len(w) || e.values[0] != w[0] || e.values[len(w)-1] != w[len(w)-1] {
				t.Errorf("%s = %v, want %v", e.name, e.values, w)
			}
		} else if e.values != nil {
			t.Errorf("%s was written: %v", e.name, e.values)
		}
	}
	if _, err := m.SetLevels(1.5); err == nil {
		t.Fatal("accepted a volume of 1.5")
	}
	if err := m.Close(); err != nil || !c.closed {
		t.Fatal("close")
	}
}

func TestMixerABI(t *testing.T) {
	if unsafe.Sizeof(uint(0)) != 8 {
		t.Skip("request numbers below are the 64-bit ones")
	}
	for got, want := range map[uintptr]uintptr{ioctlElemList: 0xC0505510, ioctlElemInfo: 0xC1105511, ioctlElemWrite: 0xC4C85513} {
		if got != want {
			t.Errorf("ioctl %#x, want %#x", got, want)
		}
	}
}

func TestOpenMixerWithoutACard(t *testing.T) {
	if _, err := OpenMixer(filepath.Join(t.TempDir(), "controlC0")); !errors.Is(err, ErrNoCard) {
		t.Fatalf("OpenMixer of a missing node = %v, want ErrNoCard", err)
	}
}
