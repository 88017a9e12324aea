package artifact

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"
)

// VerifyDir verifies an OMS signature bundle against the model at dir (a
// directory, or a single file) offline: the signature under trust, then
// every file the signed manifest lists, re-hashed as the manifest says
// (files or shards; sha256, blake2b or blake3), with none missing and none
// extra beyond the ignored paths. The bundle's own file is not ignored
// unless opts.IgnorePaths names it. Transparency log entries that key and
// certificate bundles may carry are not checked: OMS makes them optional,
// and the trust configured is the key or root itself.
//
// A Result with Verified false is a verdict: the signature is not trusted or
// the model is not what was signed, and Result says why. An error means no
// verdict could be reached (unreadable bundle or directory, ErrBundle,
// ErrUnsupported) and must never count as verified.
func VerifyDir(ctx context.Context, dir string, bundle []byte, trust Trust, opts Options) (Result, error) {
	res, m, err := checkBundle(bundle, trust, opts)
	if err != nil || m == nil {
		return res, err
	}
	ig, err := newIgnoreSet(opts.IgnorePaths, m)
	if err != nil {
		return res, err
	}
	files, bad, err := listFiles(ctx, dir, ig, m.ser.AllowSymlinks)
	if err != nil {
		return res, err
	}
	res.Unsupported = bad
	expected := m.digests
	if m.singleFile && len(files) == 1 && files[0].abs == dir {
		expected = renameSingle(m.digests, files[0].rel)
	}
	signedPaths := map[string]bool{}
	for name := range expected {
		signedPaths[resourcePath(name, m.ser.Method)] = true
	}
	// Only signed files are read: an extra file is named, never hashed.
	var toHash []modelFile
	for _, f := range files {
		switch {
		case signedPaths[f.rel]:
			toHash = append(toHash, f)
		case m.ser.Method == "shards" && f.size == 0:
			// an empty file has no shards, so the manifest cannot list it
		default:
			res.Extra = append(res.Extra, f.rel)
		}
	}
	actual, err := hashFiles(ctx, toHash, m.ser.HashType, m.ser.ShardSize)
	if err != nil {
		return res, err
	}
	compare(&res, expected, actual)
	res.settle()
	return res, nil
}

// VerifyDigests verifies an OMS signature bundle against a declared digest
// list (slash path -> SHA-256 hex, as DigestDir makes it) instead of the
// files: the signature under trust, then the signed manifest against the
// list, after dropping declared paths the signature or opts ignore. Only
// "files" manifests hashed with sha256 can be compared with such a list;
// others are ErrUnsupported. Result and error read as for VerifyDir.
func VerifyDigests(bundle []byte, declared map[string]string, trust Trust, opts Options) (Result, error) {
	if len(declared) > MaxResources {
		return Result{}, fmt.Errorf("the digest list holds %d files, more than %d", len(declared), MaxResources)
	}
	res, m, err := checkBundle(bundle, trust, opts)
	if err != nil || m == nil {
		return res, err
	}
	if m.ser.Method != "files" || m.ser.HashType != "sha256" {
		return res, fmt.Errorf("%w: the signature lists %s hashed with %s, a declared list has whole-file SHA-256 digests; verify the model directory instead",
			ErrUnsupported, m.ser.Method, m.ser.HashType)
	}
	ig, err := newIgnoreSet(opts.IgnorePaths, m)
	if err != nil {
		return res, err
	}
	actual := make(map[string]string, len(declared))
	for p, d := range declared {
		name, err := cleanRelative(p)
		if err != nil {
			return res, fmt.Errorf("digest list: %q: %w", clip(p), err)
		}
		raw, err := hex.DecodeString(d)
		if err != nil || len(raw) != 32 {
			return res, fmt.Errorf("digest list: %q: %q is not a SHA-256 digest in hex", clip(p), clip(d))
		}
		if _, dup := actual[name]; dup {
			return res, fmt.Errorf("digest list: %q is listed twice", clip(name))
		}
		if !ig.match(name) {
			actual[name] = hex.EncodeToString(raw)
		}
	}
	expected := m.digests
	if m.singleFile && len(actual) == 1 {
		for name := range actual {
			expected = renameSingle(m.digests, name)
		}
	}
	for name := range actual {
		if _, ok := expected[name]; !ok {
			res.Extra = append(res.Extra, name)
			delete(actual, name)
		}
	}
	compare(&res, expected, actual)
	res.settle()
	return res, nil
}

// checkBundle parses the bundle and verifies its signature and statement.
// It returns the manifest to compare files with, or a settled Result (and
// no manifest) when the signature or statement already decide.
func checkBundle(data []byte, trust Trust, opts Options) (Result, *manifest, error) {
	b, err := parseBundle(data)
	if err != nil {
		return Result{}, nil, err
	}
	// The statement is read before the signature is checked only to learn
	// whether it is legacy, whose pre-image differs; nothing else is used
	// until the signature verifies.
	m, stErr := parseStatement(b.env.payloadType, b.env.payload)
	var res Result
	signer, failure := verifySignature(b, trust, m != nil && m.legacy, opts)
	if failure != "" {
		res.TrustFailure = failure
		res.settle()
		return res, nil, nil
	}
	res.Signer = signer
	if stErr != nil {
		if errors.Is(stErr, ErrUnsupported) {
			return res, nil, stErr
		}
		res.ManifestFailure = stErr.Error()
		res.settle()
		return res, nil, nil
	}
	res.PredicateType = m.predicateType
	res.Legacy = m.legacy
	res.ModelName = m.modelName
	res.RootDigest = m.rootDigest
	res.Serialization = m.ser
	res.Resources = len(m.digests)
	return res, m, nil
}

// compare fills res with what differs between the signed and the found digests.
func compare(res *Result, expected, actual map[string]string) {
	for name, want := range expected {
		got, ok := actual[name]
		switch {
		case !ok:
			res.Missing = append(res.Missing, name)
		case got != want:
			res.Changed = append(res.Changed, ChangedFile{Path: name, Expected: want, Actual: got})
		}
	}
	for name := range actual {
		if _, ok := expected[name]; !ok {
			res.Extra = append(res.Extra, name)
		}
	}
}

// renameSingle gives the "." of an older single-file manifest the file's name.
func renameSingle(digests map[string]string, name string) map[string]string {
	out := make(map[string]string, len(digests))
	for k, v := range digests {
		if k == "." {
			k = name
		} else if rest, ok := strings.CutPrefix(k, ".:"); ok {
			k = name + ":" + rest
		}
		out[k] = v
	}
	return out
}

// resourcePath is the file a resource name refers to.
func resourcePath(name, method string) string {
	if method == "shards" {
		if i := strings.LastIndexByte(name, ':'); i > 0 {
			if j := strings.LastIndexByte(name[:i], ':'); j > 0 {
				return name[:j]
			}
		}
	}
	return path.Clean(name)
}
