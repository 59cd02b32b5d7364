package pid1

import (
	"testing"
	"testing/fstest"
)

func TestListenersCountsListeningTCPAndBoundUDP(t *testing.T) {
	hdr := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	root := fstest.MapFS{
		// one listener on :7443, one established connection to 10.0.2.2:7443
		"proc/net/tcp": {Data: []byte(hdr +
			"   0: 00000000:1D13 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n" +
			"   1: 0F02000A:A1B2 0202000A:1D13 01 00000000:00000000 00:00000000 00000000     0        0 2 1\n")},
		"proc/net/tcp6": {Data: []byte(hdr)},
		"proc/net/udp":  {Data: []byte(hdr + "  12: 00000000:0DA5 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 3 2\n")},
		"proc/net/udp6": {Data: []byte(hdr)},
	}
	if n, err := listeners(root); err != nil || n != 2 {
		t.Fatalf("listeners = %d, %v; want 2 (a TCP listener, a bound UDP socket)", n, err)
	}
	delete(root, "proc/net/udp6")
	if _, err := listeners(root); err == nil {
		t.Fatal("missing /proc/net/udp6: no error")
	}
}
