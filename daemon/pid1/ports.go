package pid1

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"strings"
)

// listeners counts the TCP sockets in LISTEN state and the bound UDP
// sockets of the system (/proc/net/{tcp,tcp6,udp,udp6}), so the ready line
// shows that the handset offers no network port (the boot test checks it).
func listeners(root fs.FS) (int, error) {
	n := 0
	for _, f := range []string{"tcp", "tcp6", "udp", "udp6"} {
		b, err := fs.ReadFile(root, "proc/net/"+f)
		if err != nil {
			return 0, fmt.Errorf("listeners: %w", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Scan() // header
		for sc.Scan() {
			// sl local_address rem_address st ...; TCP_LISTEN is 0A
			fields := strings.Fields(sc.Text())
			if len(fields) < 4 {
				continue
			}
			if strings.HasPrefix(f, "udp") || fields[3] == "0A" {
				n++
			}
		}
	}
	return n, nil
}
