package pid1

import (
	"encoding/hex"
	"errors"
	"testing"

	"golang.org/x/sys/unix"

	"mehfooz/board"
)

// The expected bytes were worked out field by field from
// include/uapi/linux/{netlink,rtnetlink,if_addr}.h for a little-endian CPU.
func TestNetlinkMessages(t *testing.T) {
	c, err := parseNetwork(&board.Network{Interface: "eth0", Address: "10.0.2.15/24", Gateway: "10.0.2.2"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := netMessages(c, 1, 2)
	want := []string{
		// len 32, RTM_NEWLINK(16), REQUEST|ACK, seq 1 | ifinfomsg: index 1, flags UP, change UP
		"20000000" + "1000" + "0500" + "01000000" + "00000000" + "00000000" + "01000000" + "01000000" + "01000000",
		"20000000" + "1000" + "0500" + "02000000" + "00000000" + "00000000" + "02000000" + "01000000" + "01000000",
		// len 40, RTM_NEWADDR(20), REQUEST|ACK|REPLACE|CREATE, seq 3 | AF_INET, /24, scope 0, index 2 | IFA_LOCAL, IFA_ADDRESS
		"28000000" + "1400" + "0505" + "03000000" + "00000000" + "02180000" + "02000000" + "08000200" + "0a00020f" + "08000100" + "0a00020f",
		// len 44, RTM_NEWROUTE(24), seq 4 | AF_INET, main table 254, proto boot 3, universe, unicast | RTA_GATEWAY, RTA_OIF
		"2c000000" + "1800" + "0505" + "04000000" + "00000000" + "02000000" + "fe030001" + "00000000" + "08000500" + "0a000202" + "08000400" + "02000000",
	}
	for i, m := range msgs {
		if got := hex.EncodeToString(m); got != want[i] {
			t.Errorf("message %d:\n got %s\nwant %s", i, got, want[i])
		}
	}
}

func TestParseNetworkRejects(t *testing.T) {
	for _, n := range []board.Network{
		{Interface: "eth0", Address: "10.0.2.15", Gateway: "10.0.2.2"},
		{Interface: "eth0", Address: "fd00::2/64", Gateway: "fd00::1"},
		{Interface: "eth0", Address: "10.0.2.15/24", Gateway: "10.9.9.9"},
	} {
		if _, err := parseNetwork(&n); err == nil {
			t.Errorf("%+v accepted", n)
		}
	}
}

func TestParseAck(t *testing.T) {
	ack := func(seq uint32, errno int32) []byte {
		b := make([]byte, 36)
		b[0] = 36
		b[4] = unix.NLMSG_ERROR
		b[8] = byte(seq)
		e := uint32(errno)
		b[16], b[17], b[18], b[19] = byte(e), byte(e>>8), byte(e>>16), byte(e>>24)
		return b
	}
	if err := parseAck(ack(3, 0), 3); err != nil {
		t.Errorf("ack: %v", err)
	}
	if err := parseAck(ack(3, -int32(unix.EEXIST)), 3); !errors.Is(err, unix.EEXIST) {
		t.Errorf("EEXIST: %v", err)
	}
	if err := parseAck(ack(2, 0), 3); err == nil {
		t.Error("reply to another request accepted")
	}
	if err := parseAck([]byte{1, 2}, 3); err == nil {
		t.Error("short reply accepted")
	}
}
