package at

import (
	"strings"
	"time"
)

// DefaultTimeout is how long a command may take when its Cmd gives no
// Timeout. Most commands answer in milliseconds; the slow ones wait on the
// network or the SIM. The figures follow the worst cases in vendor manuals
// (Quectel EC2x/EG25: +COPS=? up to 180 s, +CGACT 150 s) with a margin.
func DefaultTimeout(line string) time.Duration {
	c := strings.ToUpper(strings.TrimSpace(line))
	c = strings.TrimPrefix(c, "AT")
	switch {
	case strings.HasPrefix(c, "+COPS=?"):
		return 200 * time.Second
	case strings.HasPrefix(c, "+COPS="):
		return 180 * time.Second
	case strings.HasPrefix(c, "+CGACT"), strings.HasPrefix(c, "+CGATT"):
		return 150 * time.Second
	case strings.HasPrefix(c, "+CMGS"), strings.HasPrefix(c, "D"):
		return 60 * time.Second
	case strings.HasPrefix(c, "+CMGD"):
		return 30 * time.Second // deleting a full store is slow on some SIMs
	case strings.HasPrefix(c, "+CFUN"):
		return 15 * time.Second
	case strings.HasPrefix(c, "+CPIN="):
		return 10 * time.Second
	}
	return 2 * time.Second
}
