// Package policy is the handset's cellular policy: which Pakistani operators
// it knows, and the provisioning that says, per operator, which private APN
// to use, how to authenticate and which radio technologies to allow. The
// provisioning comes from the technician's configuration, never from a public
// APN database: the handset uses the operator's network only as a data bearer
// to the operator's private network.
//
// The modem package and the daemon import it.
package policy
