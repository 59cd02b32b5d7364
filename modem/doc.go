// Package modem runs one cellular modem for the handset: it opens the port,
// brings the modem up, checks the SIM, attaches to LTE on the operator's
// private APN, keeps the data context up, and refuses everything else
// (voice calls, SMS, 2G). It watches the baseband for what a false base
// station or a compromised network would cause (a 2G downgrade, an
// unexpected network, cell churn, reject causes, silent SMS, repeated modem
// resets) and reports it as security alerts with their evidence.
//
// A Modem is driven by Run, which returns when its context is cancelled. It
// talks AT through package modem/at, parses with modem/info, takes its
// provisioning from modem/policy, and recovers a hung modem through a
// board.Power. Its Status is cheap to read at any time; changes also go to an
// event callback. The daemon wires it; nothing else should.
package modem
