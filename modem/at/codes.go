package at

import "strings"

// cmeText is the +CME ERROR table of TS 27.007 §9.2.1 (general errors) and
// §9.2.2 (GPRS and EPS errors, whose codes are 100 plus the 24.008/24.301
// cause). The names are the spec's verbose forms, which a modem sends with
// AT+CMEE=2; matching is case-insensitive.
var cmeText = map[int]string{
	0:   "phone failure",
	1:   "no connection to phone",
	2:   "phone-adaptor link reserved",
	3:   "operation not allowed",
	4:   "operation not supported",
	5:   "PH-SIM PIN required",
	6:   "PH-FSIM PIN required",
	7:   "PH-FSIM PUK required",
	10:  "SIM not inserted",
	11:  "SIM PIN required",
	12:  "SIM PUK required",
	13:  "SIM failure",
	14:  "SIM busy",
	15:  "SIM wrong",
	16:  "incorrect password",
	17:  "SIM PIN2 required",
	18:  "SIM PUK2 required",
	20:  "memory full",
	21:  "invalid index",
	22:  "not found",
	23:  "memory failure",
	24:  "text string too long",
	25:  "invalid characters in text string",
	26:  "dial string too long",
	27:  "invalid characters in dial string",
	30:  "no network service",
	31:  "network timeout",
	32:  "network not allowed - emergency calls only",
	40:  "network personalization PIN required",
	41:  "network personalization PUK required",
	42:  "network subset personalization PIN required",
	43:  "network subset personalization PUK required",
	44:  "service provider personalization PIN required",
	45:  "service provider personalization PUK required",
	46:  "corporate personalization PIN required",
	47:  "corporate personalization PUK required",
	48:  "hidden key required",
	49:  "EAP method not supported",
	50:  "incorrect parameters",
	51:  "command implemented but currently disabled",
	52:  "command aborted by user",
	53:  "not attached to network due to MT functionality restrictions",
	54:  "modem not allowed - MT restricted to emergency calls only",
	55:  "operation not allowed because of MT functionality restrictions",
	56:  "fixed dial number only allowed - called number is not a fixed dial number",
	57:  "temporarily out of service due to other MT usage",
	58:  "language/alphabet not supported",
	59:  "unexpected data value",
	60:  "system failure",
	61:  "data missing",
	62:  "call barred",
	63:  "message waiting indication subscription failure",
	100: "unknown",
	103: "illegal MS",
	106: "illegal ME",
	107: "GPRS services not allowed",
	108: "GPRS services and non-GPRS services not allowed",
	111: "PLMN not allowed",
	112: "location area not allowed",
	113: "roaming not allowed in this location area",
	114: "GPRS services not allowed in this PLMN",
	115: "no suitable cells in location area",
	122: "congestion",
	125: "not authorized for this CSG",
	126: "insufficient resources",
	127: "missing or unknown APN",
	128: "unknown PDP address or PDP type",
	129: "user authentication failed",
	130: "activation rejected by GGSN, Serving GW or PDN GW",
	131: "activation rejected, unspecified",
	132: "service option not supported",
	133: "requested service option not subscribed",
	134: "service option temporarily out of order",
	140: "feature not supported",
	141: "semantic error in the TFT operation",
	142: "syntactical error in the TFT operation",
	143: "unknown PDP context",
	144: "semantic errors in packet filter(s)",
	145: "syntactical errors in packet filter(s)",
	146: "PDP context without TFT already activated",
	148: "unspecified GPRS error",
	149: "PDP authentication failure",
	150: "invalid mobile class",
	171: "last PDN disconnection not allowed",
	172: "semantically incorrect message",
	173: "invalid mandatory information",
	174: "message type non-existent or not implemented",
	175: "conditional IE error",
	176: "protocol error, unspecified",
	177: "operator determined barring",
	178: "maximum number of PDP contexts reached",
	179: "requested APN not supported in current RAT and PLMN combination",
	180: "request rejected, bearer control mode violation",
	181: "unsupported QCI value",
}

// cmsText is the +CMS ERROR table of TS 27.005 §3.2.5. Values 0 to 127 are
// TS 24.011 RP causes and 128 to 255 TS 23.040 §9.2.3.22 TP failure causes;
// only the ones a handset that refuses SMS meets are named.
var cmsText = map[int]string{
	1:   "unassigned (unallocated) number",
	8:   "operator determined barring",
	10:  "call barred",
	21:  "short message transfer rejected",
	27:  "destination out of service",
	38:  "network out of order",
	41:  "temporary failure",
	42:  "congestion",
	47:  "resources unavailable, unspecified",
	50:  "requested facility not subscribed",
	69:  "requested facility not implemented",
	111: "protocol error, unspecified",
	127: "interworking, unspecified",
	128: "telematic interworking not supported",
	129: "short message type 0 not supported",
	130: "cannot replace short message",
	143: "unspecified TP-PID error",
	144: "data coding scheme (alphabet) not supported",
	145: "message class not supported",
	159: "unspecified TP-DCS error",
	175: "unspecified TP-command error",
	176: "TPDU not supported",
	192: "SC busy",
	193: "no SC subscription",
	194: "SC system failure",
	208: "(U)SIM SMS storage full",
	211: "memory capacity exceeded",
	255: "unspecified error cause",
	300: "ME failure",
	301: "SMS service of ME reserved",
	302: "operation not allowed",
	303: "operation not supported",
	304: "invalid PDU mode parameter",
	305: "invalid text mode parameter",
	310: "(U)SIM not inserted",
	311: "(U)SIM PIN required",
	312: "PH-(U)SIM PIN required",
	313: "(U)SIM failure",
	314: "(U)SIM busy",
	315: "(U)SIM wrong",
	316: "(U)SIM PUK required",
	317: "(U)SIM PIN2 required",
	318: "(U)SIM PUK2 required",
	320: "memory failure",
	321: "invalid memory index",
	322: "memory full",
	330: "SMSC address unknown",
	331: "no network service",
	332: "network timeout",
	340: "no +CNMA acknowledgement expected",
	500: "unknown error",
}

var cmeByText, cmsByText = invert(cmeText), invert(cmsText)

func invert(m map[int]string) map[string]int {
	r := make(map[string]int, len(m))
	for k, v := range m {
		r[strings.ToLower(v)] = k
	}
	return r
}

// CME error codes the modem package branches on (TS 27.007 §9.2.1).
const (
	CMEOperationNotAllowed = 3
	CMEOperationNotSupp    = 4
	CMESIMNotInserted      = 10
	CMESIMPINRequired      = 11
	CMESIMPUKRequired      = 12
	CMESIMFailure          = 13
	CMESIMBusy             = 14
	CMESIMWrong            = 15
	CMEIncorrectPassword   = 16
	CMENoNetworkService    = 30
)
