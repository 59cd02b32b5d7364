package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"mehfooz/atomicfile"
	"mehfooz/board"
	"mehfooz/image"
)

func init() {
	register(command{path: []string{"image", "key"}, summary: "create an image signing key (Ed25519)", run: runImageKey})
	register(command{path: []string{"image", "build"}, summary: "build and sign a boot image for a board", run: runImageBuild})
}

func runImageKey(_ context.Context, e *env, args []string) error {
	fs := flags(e, "image key", "--out KEY.pem [--pub PUB.pem]")
	out := fs.String("out", "", "write the private signing key here, mode 0600 (required)")
	pubOut := fs.String("pub", "", "write the public key here (default: KEY.pub.pem)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	if *pubOut == "" {
		*pubOut = strings.TrimSuffix(*out, ".pem") + ".pub.pem"
	}
	for _, p := range []string{*out, *pubOut} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("%s exists; refusing to overwrite a key", p)
		}
	}
	k, err := image.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	defer clear(k)
	priv, err := image.MarshalPrivateKey(k)
	if err != nil {
		return err
	}
	defer clear(priv)
	pub := k.Public().(ed25519.PublicKey)
	pubPEM, err := image.MarshalPublicKeys(pub)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(*out, priv, 0o600); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(*pubOut, pubPEM, 0o644); err != nil {
		return err
	}
	id := image.KeyID(pub)
	fmt.Fprintf(e.stdout, "signing key %s (key ID %s)\npublic key  %s (give to phonectl flash/verify --pub and image build --pub)\n",
		*out, hex.EncodeToString(id[:]), *pubOut)
	return nil
}

func runImageBuild(ctx context.Context, e *env, args []string) error {
	fs := flags(e, "image build", "--board B --version N --key KEY.pem --ca CA.pem --config PROVISION.json --out IMAGE [flags]")
	boardName := fs.String("board", "", "target board: "+strings.Join(board.Names(), ", ")+" (required)")
	version := fs.Uint64("version", 0, "image version, the anti-rollback index: higher than every image before (required)")
	label := fs.String("label", "", "release name shown to technicians")
	keyFiles := fs.String("key", "", "signing key(s), comma-separated PEM files (required)")
	pubFile := fs.String("pub", "", "public keys the handset accepts for its next image (default: the signing keys')")
	caFile := fs.String("ca", "", "enrollment CA certificate, PEM (required)")
	configFile := fs.String("config", "", "provisioning config (required)")
	kernelDir := fs.String("kernel", "", "kernel tree with boot/vmlinuz-R and lib/modules/R (default for qemu-x86_64: out/kernel/*, from scripts/fetch-kernel.sh)")
	phoned := fs.String("phoned", "", "prebuilt static phoned binary (default: build ./cmd/phoned for the board)")
	out := fs.String("out", "", "write the image here (required)")
	uncompressed := fs.Bool("uncompressed-initramfs", false, "leave the initramfs uncompressed: a larger image that boots faster under QEMU's TCG")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	for name, v := range map[string]string{"--board": *boardName, "--key": *keyFiles, "--ca": *caFile, "--config": *configFile, "--out": *out} {
		if v == "" {
			return fmt.Errorf("%w: %s is required", errUsage, name)
		}
	}
	if *version == 0 {
		return fmt.Errorf("%w: --version is required and starts at 1", errUsage)
	}
	b, err := board.Lookup(*boardName)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if !b.PID1 {
		return fmt.Errorf("%w: board %s runs phoned as a plain process; it has no image", errUsage, b.Name)
	}
	keys, err := readSigningKeys(*keyFiles)
	if err != nil {
		return err
	}
	defer func() {
		for _, k := range keys {
			clear(k)
		}
	}()
	var pubPEM []byte
	if *pubFile != "" {
		if pubPEM, err = os.ReadFile(*pubFile); err != nil {
			return err
		}
		if _, err := image.ParsePublicKeys(pubPEM); err != nil {
			return fmt.Errorf("--pub: %w", err)
		}
	} else {
		var pubs []ed25519.PublicKey
		for _, k := range keys {
			pubs = append(pubs, k.Public().(ed25519.PublicKey))
		}
		if pubPEM, err = image.MarshalPublicKeys(pubs...); err != nil {
			return err
		}
	}
	ca, err := os.ReadFile(*caFile)
	if err != nil {
		return err
	}
	provision, err := os.ReadFile(*configFile)
	if err != nil {
		return err
	}
	if *kernelDir == "" {
		if *kernelDir, err = defaultKernel(b); err != nil {
			return err
		}
	}
	bin := *phoned
	if bin == "" {
		tmp, err := os.MkdirTemp("", "phonectl-build")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		bin = filepath.Join(tmp, "phoned")
		fmt.Fprintf(e.stderr, "building ./cmd/phoned for %s/%s\n", "linux", b.Arch)
		if err := goBuild(ctx, e, "./cmd/phoned", b.Arch, bin); err != nil {
			return err
		}
	}
	phonedBytes, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	var mtime int64
	if s := e.getenv("SOURCE_DATE_EPOCH"); s != "" {
		if mtime, err = strconv.ParseInt(s, 10, 64); err != nil {
			return fmt.Errorf("SOURCE_DATE_EPOCH: %w", err)
		}
	}
	var m *image.Manifest
	err = atomicfile.Write(*out, 0o644, func(w io.Writer) error {
		m, err = image.Build(w, image.BuildConfig{
			Board: b, Version: *version, Label: *label, Kernel: os.DirFS(*kernelDir),
			Phoned: phonedBytes, CA: ca, Provision: provision, ImageKeys: pubPEM, SigningKeys: keys, Mtime: mtime,
			Uncompressed: *uncompressed,
		})
		return err
	})
	if err != nil {
		return err
	}
	printManifest(e.stdout, *out, m)
	return nil
}

func readSigningKeys(list string) ([]ed25519.PrivateKey, error) {
	var keys []ed25519.PrivateKey
	for _, f := range strings.Split(list, ",") {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		k, err := image.ParsePrivateKey(b)
		clear(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// defaultKernel finds the kernel scripts/fetch-kernel.sh unpacked.
func defaultKernel(b *board.Board) (string, error) {
	if b.Name != "qemu-x86_64" {
		return "", fmt.Errorf("%w: --kernel is required for board %s", errUsage, b.Name)
	}
	dirs, _ := filepath.Glob("out/kernel/*/.complete")
	if len(dirs) != 1 {
		return "", fmt.Errorf("no single kernel under out/kernel (found %d): run scripts/fetch-kernel.sh or pass --kernel", len(dirs))
	}
	return filepath.Dir(dirs[0]), nil
}

// goBuild builds a static, reproducible binary of pkg for linux/arch.
func goBuild(ctx context.Context, e *env, pkg, arch, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w -buildid=", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	cmd.Stdout, cmd.Stderr = e.stderr, e.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	return nil
}

func printManifest(w io.Writer, name string, m *image.Manifest) {
	fmt.Fprintf(w, "%s: board %s (%s), version %d", name, m.Board, m.Arch, m.Version)
	if m.Label != "" {
		fmt.Fprintf(w, " %q", m.Label)
	}
	fmt.Fprintf(w, ", kernel %s, %d bytes\n", m.Kernel, m.Size())
	for _, p := range m.Parts {
		fmt.Fprintf(w, "  %-9s %9d bytes  sha256 %s\n", p.Name, p.Size, p.SHA256)
	}
}
