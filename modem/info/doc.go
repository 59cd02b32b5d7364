// Package info parses what a 3GPP modem says: the information lines and URCs
// of TS 27.007 (SIM, registration, operator, signal, PDP contexts, packet
// domain events, identities), the Quectel serving-cell report, and the
// SMS-DELIVER PDU of a +CMT URC (TS 23.040, TS 23.038).
//
// Every function is pure: a line in, a typed value or an error out. Modem
// output is untrusted (a broken or hostile baseband writes it), so each
// parser checks ranges and lengths, never panics, and has a fuzz target.
// The fixtures in the tests are written from the spec and from transcripts of
// real modems, in our own words.
//
// The modem package imports it; so may tests and tools.
package info
