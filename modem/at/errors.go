package at

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinels callers branch on with errors.Is.
var (
	// ErrError is the plain final result ERROR (V.250 §5.7.1): the command
	// was not accepted, with no reason given.
	ErrError = errors.New("ERROR")
	// ErrNotSupported is the vendor final result COMMAND NOT SUPPORT.
	ErrNotSupported = errors.New("COMMAND NOT SUPPORT")
	// ErrTimeout means no final result came before the command's timeout.
	// The engine resynchronises before the next command.
	ErrTimeout = errors.New("at: no final result before the timeout")
	// ErrClosed means the engine stopped: Close was called, or the port
	// failed (a hang-up or a USB loss). A new engine is needed.
	ErrClosed = errors.New("at: engine closed")
	// ErrReset means the modem announced a reboot (RDY) while the command
	// was pending; its result is lost.
	ErrReset = errors.New("at: modem rebooted during the command")
	// ErrNoSync means a resynchronisation after a timeout got no clean OK:
	// the modem is not answering, or answers with noise.
	ErrNoSync = errors.New("at: resync failed")
	// ErrNoPrompt means a command with a payload got a final result instead
	// of the "> " prompt.
	ErrNoPrompt = errors.New("at: no prompt for the payload")

	// Call-related final results (V.250 §6.3.1). They end only dial and
	// answer commands; at any other time NO CARRIER is a URC.
	ErrNoCarrier  = errors.New("NO CARRIER")
	ErrBusy       = errors.New("BUSY")
	ErrNoAnswer   = errors.New("NO ANSWER")
	ErrNoDialtone = errors.New("NO DIALTONE")
)

// CMEError is a +CME ERROR final result (TS 27.007 §9.2): a mobile
// termination error. Code is the numeric value; a verbose report (AT+CMEE=2)
// is mapped back to its code when it is in the table, otherwise Code is -1
// and Text holds what the modem said.
type CMEError struct {
	Code int
	Text string
}

func (e *CMEError) Error() string {
	if e.Code < 0 {
		return "+CME ERROR: " + e.Text
	}
	return fmt.Sprintf("+CME ERROR: %d (%s)", e.Code, e.Text)
}

// CMSError is a +CMS ERROR final result (TS 27.005 §3.2.5): a message
// service failure. Code and Text as for CMEError.
type CMSError struct {
	Code int
	Text string
}

func (e *CMSError) Error() string {
	if e.Code < 0 {
		return "+CMS ERROR: " + e.Text
	}
	return fmt.Sprintf("+CMS ERROR: %d (%s)", e.Code, e.Text)
}

// IsCME reports whether err is a +CME ERROR with the given code.
func IsCME(err error, code int) bool {
	var e *CMEError
	return errors.As(err, &e) && e.Code == code
}

// IsCMS reports whether err is a +CMS ERROR with the given code.
func IsCMS(err error, code int) bool {
	var e *CMSError
	return errors.As(err, &e) && e.Code == code
}

// ParseCME parses the text after "+CME ERROR:" in numeric or verbose form.
func ParseCME(s string) *CMEError {
	code, text := parseCode(s, cmeText, cmeByText)
	return &CMEError{Code: code, Text: text}
}

// ParseCMS parses the text after "+CMS ERROR:" in numeric or verbose form.
func ParseCMS(s string) *CMSError {
	code, text := parseCode(s, cmsText, cmsByText)
	return &CMSError{Code: code, Text: text}
}

func parseCode(s string, byCode map[int]string, byText map[string]int) (int, string) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 65535 {
		if t, ok := byCode[n]; ok {
			return n, t
		}
		return n, "unknown code"
	}
	t := strings.Trim(s, `"`)
	if n, ok := byText[strings.ToLower(t)]; ok {
		return n, byCode[n]
	}
	return -1, t
}
