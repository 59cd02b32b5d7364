package info

// Signal is a signal report in physical units. Unknown values are zero
// (a real dBm value is never 0).
type Signal struct {
	RSSI int     // dBm, from +CSQ (GSM/UMTS carrier RSSI) or derived
	RSRP int     // dBm, LTE reference signal received power, from +CESQ
	RSRQ float64 // dB, LTE
	RSCP int     // dBm, UMTS
	BER  int     // +CSQ bit error rate class 0..7, -1 unknown
}

// Bars maps the signal to the 0 to 5 bars the UI shows: RSRP when the modem
// gives it (LTE), else RSSI. 0 means no usable report.
func (s Signal) Bars() int {
	switch {
	case s.RSRP != 0:
		return bars(s.RSRP, -120, -110, -100, -90)
	case s.RSCP != 0:
		return bars(s.RSCP, -110, -100, -90, -80)
	case s.RSSI != 0:
		return bars(s.RSSI, -103, -93, -83, -73)
	}
	return 0
}

func bars(v int, t2, t3, t4, t5 int) int {
	switch {
	case v >= t5:
		return 5
	case v >= t4:
		return 4
	case v >= t3:
		return 3
	case v >= t2:
		return 2
	}
	return 1
}

// ParseCSQ parses "+CSQ: <rssi>,<ber>" (TS 27.007 §8.5): rssi 0 is -113 dBm
// or less, 2..30 step 2 dBm from -109, 31 is -51 dBm or more, 99 unknown.
func ParseCSQ(line string) (Signal, error) {
	b, err := body(line, "+CSQ")
	if err != nil {
		return Signal{}, err
	}
	fs, err := fields(b)
	if err != nil {
		return Signal{}, err
	}
	if len(fs) != 2 {
		return Signal{}, syntaxErr("want <rssi>,<ber>", line)
	}
	rssi, err := num(fs[0], 0, 99, "rssi", line)
	if err != nil {
		return Signal{}, err
	}
	ber, err := num(fs[1], 0, 99, "ber", line)
	if err != nil {
		return Signal{}, err
	}
	if (rssi > 31 && rssi != 99) || (ber > 7 && ber != 99) {
		return Signal{}, syntaxErr("rssi or ber out of range", line)
	}
	s := Signal{BER: -1}
	if rssi != 99 {
		s.RSSI = -113 + 2*rssi
	}
	if ber != 99 {
		s.BER = ber
	}
	return s, nil
}

// ParseCESQ parses "+CESQ: <rxlev>,<ber>,<rscp>,<ecno>,<rsrq>,<rsrp>"
// (TS 27.007 §8.69). Each value is an index into a 1 dB (RSRQ, Ec/No: 0.5 dB)
// table; 99 (rxlev, ber) and 255 (the others) mean unknown.
func ParseCESQ(line string) (Signal, error) {
	b, err := body(line, "+CESQ")
	if err != nil {
		return Signal{}, err
	}
	fs, err := fields(b)
	if err != nil {
		return Signal{}, err
	}
	if len(fs) != 6 {
		return Signal{}, syntaxErr("want six values", line)
	}
	var v [6]int
	limits := [6]int{63, 7, 96, 49, 34, 97}
	unknown := [6]int{99, 99, 255, 255, 255, 255}
	for i, f := range fs {
		n, err := num(f, 0, 255, "value", line)
		if err != nil {
			return Signal{}, err
		}
		if n > limits[i] && n != unknown[i] {
			return Signal{}, syntaxErr("value out of range", line)
		}
		v[i] = n
	}
	s := Signal{BER: -1}
	if v[0] != 99 {
		s.RSSI = v[0] - 111 // rxlev: 0 is < -110 dBm
	}
	if v[1] != 99 {
		s.BER = v[1]
	}
	if v[2] != 255 {
		s.RSCP = v[2] - 121 // 0 is < -120 dBm
	}
	if v[4] != 255 {
		s.RSRQ = float64(v[4])/2 - 20 // 0 is < -19.5 dB
	}
	if v[5] != 255 {
		s.RSRP = v[5] - 141 // 0 is < -140 dBm
	}
	return s, nil
}
