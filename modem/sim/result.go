package sim

import (
	"strconv"
	"time"
)

// final is the final result code that ends a command line's response.
type final struct {
	kind finalKind
	code int // the error number of a +CME ERROR or +CMS ERROR
}

type finalKind int

const (
	resOK finalKind = iota
	resError
	resCME
	resCMS
	resNoCarrier
	resConnect
)

var (
	finalOK   = final{kind: resOK}
	errPlain  = final{kind: resError}
	noCarrier = final{kind: resNoCarrier}
)

func cme(code int) final { return final{kind: resCME, code: code} }
func cms(code int) final { return final{kind: resCMS, code: code} }

// +CME ERROR codes of 3GPP TS 27.007 §9.2 that the simulator returns.
const (
	cmeNotAllowed     = 3
	cmeNotSupported   = 4
	cmeSIMNotInserted = 10
	cmeSIMPIN         = 11
	cmeSIMPUK         = 12
	cmeSIMFailure     = 13
	cmeSIMBusy        = 14
	cmeWrongPassword  = 16
	cmeInvalidIndex   = 21
	cmeNoService      = 30
	cmeBadParams      = 50
	cmeUnknown        = 100
	cmeGPRSUnspecific = 148
)

var cmeText = map[int]string{
	0:   "phone failure",
	3:   "operation not allowed",
	4:   "operation not supported",
	10:  "SIM not inserted",
	11:  "SIM PIN required",
	12:  "SIM PUK required",
	13:  "SIM failure",
	14:  "SIM busy",
	15:  "SIM wrong",
	16:  "incorrect password",
	21:  "invalid index",
	30:  "no network service",
	31:  "network timeout",
	50:  "incorrect parameters",
	100: "unknown",
	148: "unspecified GPRS error",
}

// +CMS ERROR codes of 3GPP TS 27.005 §3.2.5.
const (
	cmsNotAllowed   = 302
	cmsBadPDU       = 304
	cmsBadText      = 305
	cmsSIMNotIn     = 310
	cmsSIMPIN       = 311
	cmsSIMBusy      = 314
	cmsInvalidIndex = 321
	cmsNoService    = 331
	cmsNoAckPending = 340
	cmsUnknown      = 500
)

var cmsText = map[int]string{
	302: "operation not allowed",
	303: "operation not supported",
	304: "invalid PDU mode parameter",
	305: "invalid text mode parameter",
	310: "SIM not inserted",
	311: "SIM PIN required",
	314: "SIM busy",
	321: "invalid memory index",
	331: "no network service",
	340: "no +CNMA acknowledgement expected",
	500: "unknown error",
}

// result is what one command produces: information lines and a final code.
type result struct {
	info  []string
	final final
	// delay holds the whole response back: the command takes this long.
	delay time.Duration
	// prompt makes the DCE answer "> " and collect a PDU (+CMGS).
	prompt bool
	// then runs, under the modem lock, after the response is queued.
	then func()
	// settle runs, under the modem lock, once delay has passed, and gives
	// the final result: for commands whose outcome is decided meanwhile.
	settle func() final
}

func okInfo(lines ...string) result { return result{info: lines} }

func fail(f final) result { return result{final: f} }

// format renders information text, final result codes and URCs as
// V.250 §5.7.1 prescribes for the current V (verbose) and Q (quiet) settings.
type format struct {
	verbose bool
	quiet   bool
	cmee    int // +CMEE mode: 0 plain ERROR, 1 numeric, 2 verbose
}

func (f format) info(lines []string) []byte {
	if len(lines) == 0 {
		return nil
	}
	var b []byte
	if f.verbose {
		b = append(b, "\r\n"...)
	}
	for _, l := range lines {
		b = append(b, l...)
		b = append(b, "\r\n"...)
	}
	return b
}

func (f format) urc(line string) []byte {
	if f.verbose {
		return []byte("\r\n" + line + "\r\n")
	}
	return []byte(line + "\r\n")
}

// text names a final result code in the modem's current settings.
func (f format) text(r final) (verbose string, numeric string) {
	switch r.kind {
	case resOK:
		return "OK", "0"
	case resConnect:
		return "CONNECT", "1"
	case resNoCarrier:
		return "NO CARRIER", "3"
	case resCME:
		switch f.cmee {
		case 1:
			s := "+CME ERROR: " + strconv.Itoa(r.code)
			return s, s
		case 2:
			t, found := cmeText[r.code]
			if !found {
				t = cmeText[cmeUnknown]
			}
			s := "+CME ERROR: " + t
			return s, s
		}
	case resCMS:
		// 27.005 reports +CMS ERROR whatever +CMEE says; +CMEE=2 only
		// chooses the verbose text.
		if t, found := cmsText[r.code]; found && f.cmee == 2 {
			return "+CMS ERROR: " + t, "+CMS ERROR: " + t
		}
		s := "+CMS ERROR: " + strconv.Itoa(r.code)
		return s, s
	}
	return "ERROR", "4"
}

func (f format) final(r final) []byte {
	if f.quiet {
		return nil
	}
	v, n := f.text(r)
	if f.verbose {
		return []byte("\r\n" + v + "\r\n")
	}
	return []byte(n + "\r")
}
