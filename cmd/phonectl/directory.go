package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"mehfooz/atomicfile"
	"mehfooz/exchange/admin"
	"mehfooz/trust"
	"mehfooz/trust/ca"
	"mehfooz/trust/directory"
)

func init() {
	register(command{path: []string{"directory", "publish"}, summary: "sign the directory (whitelist and call policy) and push it through the exchange", run: runDirectoryPublish})
}

// directorySource is the file a technician edits: who is in the fleet,
// in which groups, and which group may call which.
//
//	{
//	  "entries": [
//	    {"id": "pk-0001", "name": "…", "office": "…", "certificate": "certs/pk-0001.pem", "groups": ["cabinet"]}
//	  ],
//	  "rules": [{"from": "cabinet", "to": "cabinet"}]
//	}
//
// A certificate path is relative to the file; "fingerprint" (hex) may stand
// in for it.
type directorySource struct {
	Entries []struct {
		ID          string   `json:"id"`
		Name        string   `json:"name"`
		Office      string   `json:"office"`
		Certificate string   `json:"certificate"`
		Fingerprint string   `json:"fingerprint"`
		Groups      []string `json:"groups"`
	} `json:"entries"`
	Rules []struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"rules"`
}

func runDirectoryPublish(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "directory publish", "--exchange HOST:PORT --ca-cert CA.pem --cert TECH.pem --key TECH.key (--source DIR.json --publisher-cert PUB.pem --publisher-key PUB.key | --signed BUNDLE)")
	xf := addExchangeFlags(fs)
	pf := addPublisherFlags(fs)
	source := fs.String("source", "", "the directory source, JSON: {\"entries\": [{\"id\", \"name\", \"office\", \"certificate\" (PEM path) or \"fingerprint\", \"groups\"}], \"rules\": [{\"from\", \"to\"}]}")
	signedPath := fs.String("signed", "", "publish this already signed bundle instead of signing --source")
	version := fs.Uint64("version", 0, "version of the new directory (default: the exchange's current + 1)")
	out := fs.String("out", "", "also write the signed bundle here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if (*source == "") == (*signedPath == "") {
		return fmt.Errorf("%w: give either --source or --signed", errUsage)
	}
	tech, err := xf.open(e)
	if err != nil {
		return err
	}
	defer tech.api.Close()

	var signed []byte
	if *signedPath != "" {
		if signed, err = os.ReadFile(*signedPath); err != nil {
			return err
		}
		if _, err := directory.Verify(signed, tech.verifier); err != nil {
			return fmt.Errorf("%s does not verify: %w", *signedPath, err)
		}
	} else {
		pubCert, pubKey, err := pf.load(tech.verifier)
		if err != nil {
			return err
		}
		d, err := readDirectorySource(*source, tech.verifier)
		if err != nil {
			return err
		}
		d.Version = *version
		if d.Version == 0 {
			d.Version = 1
			raw, err := tech.api.Directory(ctx)
			switch {
			case admin.IsCode(err, admin.CodeNotFound):
			case err != nil:
				return apiErr("fetch the current directory", err)
			default:
				cur, err := directory.Verify(raw, tech.verifier)
				if err != nil {
					return fmt.Errorf("the exchange's current directory does not verify: %w", err)
				}
				d.Version = cur.Version + 1
			}
		}
		d.IssuedAt = time.Now()
		if signed, err = directory.Sign(d, pubKey, pubCert); err != nil {
			return err
		}
	}
	if *out != "" {
		if err := atomicfile.WriteFile(*out, signed, 0o644); err != nil {
			return err
		}
	}
	p, err := tech.api.PublishDirectory(ctx, signed)
	if err != nil {
		return apiErr("publish the directory", err)
	}
	d, _ := directory.Verify(signed, tech.verifier)
	fmt.Fprintf(e.stdout, "directory version %d published: %d devices, %d rules\n", p.Version, len(d.Entries), len(d.Rules))
	fmt.Fprintln(e.stdout, "  connected handsets have it now; devices no longer listed were cut off")
	return nil
}

// readDirectorySource reads and checks a source file: every certificate is
// a device certificate from the CA for the entry's ID.
func readDirectorySource(path string, v *trust.Verifier) (*directory.Directory, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var src directorySource
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&src); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d := &directory.Directory{}
	for i, s := range src.Entries {
		id, err := trust.ParseDeviceID(s.ID)
		if err != nil {
			return nil, fmt.Errorf("%s: entry %d: %w", path, i+1, err)
		}
		en := directory.Entry{ID: id, Name: s.Name, Office: s.Office, Groups: s.Groups}
		switch {
		case s.Certificate != "":
			p := s.Certificate
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(path), p)
			}
			cb, err := os.ReadFile(p)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, id, err)
			}
			c, err := ca.ParseCertificatePEM(cb)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, id, err)
			}
			got, err := v.Device(c)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: certificate %s: %w", path, id, p, err)
			}
			if got != id {
				return nil, fmt.Errorf("%s: entry %s lists the certificate of %s", path, id, got)
			}
			en.Fingerprint = trust.FingerprintOf(c.Raw)
			if s.Fingerprint != "" {
				fp, err := trust.ParseFingerprint(s.Fingerprint)
				if err != nil || fp != en.Fingerprint {
					return nil, fmt.Errorf("%s: %s: fingerprint does not match its certificate", path, id)
				}
			}
		case s.Fingerprint != "":
			if en.Fingerprint, err = trust.ParseFingerprint(s.Fingerprint); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", path, id, err)
			}
		default:
			return nil, fmt.Errorf("%s: %s: give its certificate or fingerprint", path, id)
		}
		d.Entries = append(d.Entries, en)
	}
	for _, r := range src.Rules {
		d.Rules = append(d.Rules, directory.Rule{From: r.From, To: r.To})
	}
	if _, err := d.Canonical(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}
