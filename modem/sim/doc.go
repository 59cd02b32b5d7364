// Package sim is a cellular modem simulator that production code opens
// exactly as it opens hardware: a real pseudo-terminal (or a unix socket for a
// QEMU chardev) behind which a simulated module speaks V.250 and
// 3GPP TS 27.007 AT commands, with the Quectel EG25-G extensions the handset
// daemon uses.
//
// A Modem holds the state of the module (SIM card, radio, registration, PDP
// contexts, SMS and call settings) and of the network around it (the cells it
// can camp on). A Line hands it one port at a time: PTY re-offers a fresh
// pseudo-terminal at the same symlink after an unplug, as a USB modem
// re-enumerates; Socket accepts one connection at a time; Pipe serves
// in-memory pipes. Tests drive faults
// through Modem's methods; a separate modemsim process takes the same faults
// over a line-oriented control socket (ParseControl, ServeControl).
//
// Only tests and cmd/modemsim import this package.
package sim
