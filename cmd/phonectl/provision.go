package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"mehfooz/atomicfile"
	"mehfooz/daemon"
	"mehfooz/modem/policy"
	"mehfooz/trust"
	"mehfooz/trust/ca"
)

func init() {
	register(command{path: []string{"provision"}, summary: "write a handset's provisioning file: device ID, exchange, CA, private APNs", run: runProvision})
}

// apnFlags collects --apn PLMN=APN values.
type apnFlags []policy.Network

func (a *apnFlags) String() string { return fmt.Sprint(*a) }

func (a *apnFlags) Set(v string) error {
	plmn, apn, ok := strings.Cut(v, "=")
	if !ok {
		return fmt.Errorf("want PLMN=APN, e.g. 41001=gov.secure.jazz")
	}
	*a = append(*a, policy.Network{PLMN: plmn, APN: apn})
	return nil
}

func runProvision(_ context.Context, e *env, args []string) error {
	fs := flags(e, "provision", "--ca DIR [--device ID] --exchange HOST:PORT --apn PLMN=APN... [--exchange-name NAME] [--rats LTE[,UMTS]] -o FILE")
	caDir := caDirFlag(fs)
	device := fs.String("device", "", "the handset's device ID; omit for a fleet image, whose handsets get theirs at flash time (phonectl flash --device-id)")
	exchange := fs.String("exchange", "", "the exchange's host:port as the handset reaches it (required)")
	name := fs.String("exchange-name", "", "the name in the exchange's certificate (default: the host)")
	rats := fs.String("rats", "", "allowed radio technologies, comma-separated (default LTE only)")
	out := fs.String("o", "", "where to write the provisioning file (required)")
	var apns apnFlags
	fs.Var(&apns, "apn", "an operator's private APN as PLMN=APN; repeat per operator (at least one)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *caDir == "" || *exchange == "" || *out == "" || len(apns) == 0 {
		return fmt.Errorf("%w: --ca, --exchange, --apn and -o are required", errUsage)
	}
	caPEM, err := os.ReadFile(filepath.Join(*caDir, ca.CertFile))
	if err != nil {
		return fmt.Errorf("read CA certificate: %w", err)
	}
	cellular := policy.Config{Networks: apns}
	if *rats != "" {
		cellular.RATs = strings.Split(*rats, ",")
	}
	if err := cellular.Validate(); err != nil {
		return err
	}
	cb, err := json.Marshal(cellular)
	if err != nil {
		return err
	}
	p := daemon.Provisioning{DeviceID: trust.DeviceID(*device), Exchange: *exchange, ExchangeName: *name, CA: string(caPEM), Cellular: cb}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	// What the handset will load must load: check with the handset's parser.
	// A fleet file is checked as a handset flashed with some ID loads it.
	check := trust.DeviceID("")
	for_ := *device
	if *device == "" {
		check, for_ = "pk-fleet-check", "the fleet"
	}
	if _, err := daemon.LoadProvisioning(bytes.NewReader(b), check); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(*out, b, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "wrote %s for %s (exchange %s, %d operator(s))\n", *out, for_, *exchange, len(apns))
	return nil
}

var _ flag.Value = (*apnFlags)(nil)
