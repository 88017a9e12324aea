package artifact

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

const usage = `usage:
  modeltender artifact verify [--signature FILE] [--public-key PEM | --certificate-chain PEM | --trusted-root JSON --identity ID --issuer URL] [--ignore-paths a,b] [--json] MODEL_DIR
  modeltender artifact verify --award ID [trust flags to check model.sig too] [--ignore-paths a,b] [--json] MODEL_DIR
  modeltender artifact digest [--ignore-paths a,b] MODEL_DIR
flags go before MODEL_DIR; ignore paths are relative to MODEL_DIR; .git,
.gitattributes, .github and .gitignore are always left out, and digest leaves
out model.sig`

// ExitError is the status `modeltender artifact` exits with: 1 when the
// model is not verified, 2 when its input cannot be read.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode is the process status for e.
func (e *ExitError) ExitCode() int { return e.Code }

func unreadable(format string, args ...any) error {
	return &ExitError{Code: 2, Err: fmt.Errorf(format, args...)}
}

// pathList is a flag of comma-separated paths that may be repeated.
type pathList []string

func (p *pathList) String() string { return strings.Join(*p, ",") }

func (p *pathList) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*p = append(*p, s)
		}
	}
	return nil
}

// Run is `modeltender artifact verify|digest`, offline but for verify
// --award, which reads the award's pin with pins (nil: no database).
func Run(ctx context.Context, args []string, pins Pins, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return unreadable("no artifact command given\n%s", usage)
	}
	switch args[0] {
	case "verify":
		return runVerify(ctx, args[1:], pins, stdout, stderr)
	case "digest":
		return runDigest(ctx, args[1:], stdout, stderr)
	}
	return unreadable("unknown artifact command %q\n%s", args[0], usage)
}

func runDigest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("artifact digest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ignore pathList
	fs.Var(&ignore, "ignore-paths", "comma-separated paths under MODEL_DIR to leave out")
	dir, err := parseModelArgs(fs, args)
	if err != nil {
		return err
	}
	// A signature kept beside the model is not part of it.
	digests, err := DigestDir(ctx, dir, append(ignore, "model.sig"))
	if err != nil {
		return unreadable("%v", err)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(digests)
}

func runVerify(ctx context.Context, args []string, pins Pins, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("artifact verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	signature := fs.String("signature", "", "the OMS bundle (default MODEL_DIR/model.sig)")
	publicKey := fs.String("public-key", "", "PEM public key the model must be signed with")
	chain := fs.String("certificate-chain", "", "PEM root certificate(s) the signing certificate must chain to")
	trustedRoot := fs.String("trusted-root", "", "Sigstore trusted root JSON for keyless signatures")
	identity := fs.String("identity", "", "keyless: the signer identity (certificate SAN: email or URI)")
	issuer := fs.String("issuer", "", "keyless: the OIDC issuer URL that asserted the identity")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	award := fs.String("award", "", "compare MODEL_DIR with the digests this award pins (reads the database)")
	var ignore pathList
	fs.Var(&ignore, "ignore-paths", "comma-separated paths under MODEL_DIR that are not part of the model")
	dir, err := parseModelArgs(fs, args)
	if err != nil {
		return err
	}
	if *award != "" && *publicKey == "" && *chain == "" && *trustedRoot == "" {
		if *signature != "" || *identity != "" || *issuer != "" {
			return unreadable("--signature, --identity and --issuer need the trust to check the signature under: --public-key, --certificate-chain or --trusted-root")
		}
		return verifyAward(ctx, pins, *award, dir, ignore, nil, *asJSON, stdout)
	}
	trust, err := trustFromFlags(*publicKey, *chain, *trustedRoot, *identity, *issuer)
	if err != nil {
		return err
	}
	if *signature == "" {
		*signature = filepath.Join(dir, "model.sig")
	}
	bundle, err := readBounded(*signature)
	if err != nil {
		return unreadable("read signature: %v; give the model's OMS bundle with --signature", err)
	}
	opts := Options{IgnorePaths: ignore}
	if rel, ok := inside(dir, *signature); ok {
		opts.IgnorePaths = append(opts.IgnorePaths, rel) // the signature is never part of what it signs
	}
	if *award != "" {
		return verifyAward(ctx, pins, *award, dir, ignore, &signatureCheck{file: *signature, bundle: bundle, trust: trust, opts: opts}, *asJSON, stdout)
	}
	res, err := VerifyDir(ctx, dir, bundle, trust, opts)
	switch {
	case errors.Is(err, ErrBundle):
		return unreadable("%s: %v; --signature must be the model.sig an OMS signer (model_signing) wrote", *signature, err)
	case err != nil:
		return unreadable("%v", err)
	}
	if *asJSON {
		if err := writeJSON(stdout, res); err != nil {
			return err
		}
	} else {
		printResult(stdout, dir, *signature, res)
	}
	if !res.Verified {
		return &ExitError{Code: 1, Err: fmt.Errorf("model %s not verified: %s", dir, res.summary())}
	}
	return nil
}

// parseModelArgs parses flags and returns the one MODEL_DIR.
func parseModelArgs(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", unreadable("%v\n%s", err, usage)
	}
	switch fs.NArg() {
	case 0:
		return "", unreadable("no MODEL_DIR given\n%s", usage)
	case 1:
		return fs.Arg(0), nil
	}
	return "", unreadable("one MODEL_DIR expected, got %q (flags go before MODEL_DIR)\n%s", fs.Args(), usage)
}

func trustFromFlags(publicKey, chain, trustedRoot, identity, issuer string) (Trust, error) {
	given := 0
	for _, f := range []string{publicKey, chain, trustedRoot} {
		if f != "" {
			given++
		}
	}
	if given != 1 {
		return Trust{}, unreadable("give exactly one of --public-key, --certificate-chain or --trusted-root (with --identity and --issuer)")
	}
	if (identity != "" || issuer != "") && trustedRoot == "" {
		return Trust{}, unreadable("--identity and --issuer go with --trusted-root (keyless Sigstore signatures)")
	}
	var flagName, file string
	var build func([]byte) (Trust, error)
	switch {
	case publicKey != "":
		flagName, file, build = "--public-key", publicKey, TrustPublicKey
	case chain != "":
		flagName, file, build = "--certificate-chain", chain, TrustCertificateChain
	default:
		if identity == "" || issuer == "" {
			return Trust{}, unreadable("--trusted-root needs --identity (the signer's email or URI) and --issuer (the OIDC issuer URL)")
		}
		flagName, file = "--trusted-root", trustedRoot
		build = func(b []byte) (Trust, error) { return TrustSigstore(b, identity, issuer) }
	}
	data, err := readBounded(file)
	if err != nil {
		return Trust{}, unreadable("%s: %v; give the file the vendor registered", flagName, err)
	}
	t, err := build(data)
	if err != nil {
		return Trust{}, unreadable("%s %s: %v", flagName, file, err)
	}
	return t, nil
}

// readBounded reads a small input file, refusing one past MaxBundleBytes.
func readBounded(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxBundleBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxBundleBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, MaxBundleBytes)
	}
	return data, nil
}

// inside returns file's slash path relative to dir when it lies within dir.
func inside(dir, file string) (string, bool) {
	d, err1 := filepath.Abs(dir)
	f, err2 := filepath.Abs(file)
	if err1 != nil || err2 != nil {
		return "", false
	}
	rel, err := filepath.Rel(d, f)
	if err != nil || rel == "." || !within(d, f) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

func printResult(w io.Writer, dir, signature string, res Result) {
	if res.Verified {
		fmt.Fprintf(w, "verified: %s matches %s (%d %s, %s)\n", dir, signature, res.Resources, res.Serialization.Method, res.Serialization.HashType)
	} else {
		fmt.Fprintf(w, "NOT verified: %s against %s\n", dir, signature)
	}
	if res.Signer != nil {
		fmt.Fprintf(w, "signed by: %s\n", describeTrust(res.Signer))
	}
	if res.Legacy {
		fmt.Fprintln(w, "note: legacy Digests/v0.1 signature (model_signing 0.2.0); ask the vendor to re-sign with a current signer")
	}
	for _, p := range res.Problems() {
		fmt.Fprintln(w, "  "+p)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
