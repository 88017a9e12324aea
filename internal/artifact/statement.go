package artifact

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
)

const inTotoStatementV1 = "https://in-toto.io/Statement/v1"

// manifest is the signed statement read as the list of files (or shards)
// the signer hashed and how.
type manifest struct {
	predicateType string
	legacy        bool
	modelName     string
	rootDigest    string
	ser           Serialization
	// digests maps each resource name (a slash path, "path:start:end" for
	// shards) to its lowercase hex digest.
	digests map[string]string
	// singleFile: the signer hashed one file, named "." by model_signing
	// before the spec settled on the file's base name.
	singleFile bool
}

type statementJSON struct {
	Type    string `json:"_type"`
	Subject []struct {
		Name        string            `json:"name"`
		Digest      map[string]string `json:"digest"`
		Annotations map[string]any    `json:"annotations"`
	} `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

type predicateJSON struct {
	Serialization *struct {
		Method        string       `json:"method"`
		HashType      string       `json:"hash_type"`
		ShardSize     *json.Number `json:"shard_size"`
		AllowSymlinks *bool        `json:"allow_symlinks"`
		IgnorePaths   []string     `json:"ignore_paths"`
	} `json:"serialization"`
	Resources []struct {
		Name      string `json:"name"`
		Algorithm string `json:"algorithm"`
		Digest    string `json:"digest"`
	} `json:"resources"`
}

// digestSizes are the OMS file hash algorithms and their digest lengths.
var digestSizes = map[string]int{"sha256": 32, "blake2b": 64, "blake3": 32}

// parseStatement reads a DSSE payload as an OMS statement, v1.0 or the
// legacy v0.1. The payload's signature is checked separately.
func parseStatement(payloadType string, payload []byte) (*manifest, error) {
	if payloadType != inTotoPayloadType {
		return nil, fmt.Errorf("payloadType %q is not %s", clip(payloadType), inTotoPayloadType)
	}
	if err := checkJSON(payload); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	var st statementJSON
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, fmt.Errorf("statement: %w", err)
	}
	if st.Type != inTotoStatementV1 {
		return nil, fmt.Errorf("statement _type %q is not %s", clip(st.Type), inTotoStatementV1)
	}
	switch st.PredicateType {
	case PredicateV1:
		return parseV1(st)
	case PredicateLegacy:
		return parseLegacy(st)
	}
	return nil, fmt.Errorf("predicateType %q is not a model signature (%s)", clip(st.PredicateType), PredicateV1)
}

func parseV1(st statementJSON) (*manifest, error) {
	if len(st.Subject) != 1 {
		return nil, fmt.Errorf("statement has %d subjects, want the one model", len(st.Subject))
	}
	m := &manifest{predicateType: PredicateV1, modelName: st.Subject[0].Name, rootDigest: strings.ToLower(st.Subject[0].Digest["sha256"])}
	var p predicateJSON
	dec := json.NewDecoder(bytes.NewReader(st.Predicate))
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("predicate: %w", err)
	}
	s := p.Serialization
	if s == nil {
		return nil, errors.New("predicate has no serialization")
	}
	m.ser = Serialization{Method: s.Method, HashType: s.HashType, IgnorePaths: s.IgnorePaths}
	if s.AllowSymlinks == nil {
		return nil, errors.New("serialization has no allow_symlinks")
	}
	m.ser.AllowSymlinks = *s.AllowSymlinks
	size, ok := digestSizes[s.HashType]
	if !ok {
		return nil, fmt.Errorf("%w: hash_type %q (supported: sha256, blake2b, blake3)", ErrUnsupported, clip(s.HashType))
	}
	switch s.Method {
	case "files":
		if s.ShardSize != nil {
			return nil, errors.New("serialization method files with a shard_size")
		}
	case "shards":
		if s.ShardSize == nil {
			return nil, errors.New("serialization method shards without shard_size")
		}
		n, err := strconv.ParseInt(s.ShardSize.String(), 10, 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("shard_size %s is not a positive integer", s.ShardSize)
		}
		m.ser.ShardSize = n
	default:
		return nil, fmt.Errorf("%w: serialization method %q (supported: files, shards)", ErrUnsupported, clip(s.Method))
	}
	if len(s.IgnorePaths) > maxIgnorePaths {
		return nil, fmt.Errorf("serialization lists %d ignore_paths, more than %d", len(s.IgnorePaths), maxIgnorePaths)
	}
	for _, ip := range s.IgnorePaths {
		if !validName(ip) {
			return nil, fmt.Errorf("ignore_paths entry %q is not a path", clip(ip))
		}
	}
	if len(p.Resources) == 0 {
		return nil, errors.New("predicate lists no resources")
	}
	if len(p.Resources) > MaxResources {
		return nil, fmt.Errorf("predicate lists %d resources, more than %d", len(p.Resources), MaxResources)
	}
	m.digests = make(map[string]string, len(p.Resources))
	root := sha256.New()
	for _, r := range p.Resources {
		if r.Algorithm != s.HashType {
			return nil, fmt.Errorf("resource %q uses %q, not the hash_type %q", clip(r.Name), clip(r.Algorithm), s.HashType)
		}
		raw, err := hex.DecodeString(r.Digest)
		if err != nil || len(raw) != size {
			return nil, fmt.Errorf("resource %q: digest %q is not a %s digest in hex", clip(r.Name), clip(r.Digest), s.HashType)
		}
		root.Write(raw)
		name, err := resourceName(r.Name, s.Method)
		if err != nil {
			return nil, err
		}
		if err := m.add(name, hex.EncodeToString(raw)); err != nil {
			return nil, err
		}
	}
	// The root digest is signed; if it disagrees with the resources, the
	// signer's tool and this one read the statement differently.
	if got := hex.EncodeToString(root.Sum(nil)); got != m.rootDigest {
		return nil, fmt.Errorf("subject digest %q is not the digest of the resources (%s)", clip(m.rootDigest), got)
	}
	return m, nil
}

// parseLegacy reads the v0.1 statement of model_signing 0.2.0: one subject
// per file, SHA-256 of whole files, no serialization recorded.
func parseLegacy(st statementJSON) (*manifest, error) {
	m := &manifest{predicateType: PredicateLegacy, legacy: true,
		ser: Serialization{Method: "files", HashType: "sha256"}}
	if len(st.Subject) == 0 {
		return nil, errors.New("statement lists no subjects")
	}
	if len(st.Subject) > MaxResources {
		return nil, fmt.Errorf("statement lists %d subjects, more than %d", len(st.Subject), MaxResources)
	}
	m.digests = make(map[string]string, len(st.Subject))
	for _, s := range st.Subject {
		if a, ok := s.Annotations["actual_hash_algorithm"]; ok && a != "file-sha256" {
			return nil, fmt.Errorf("%w: subject %q hashed with %v (supported: file-sha256)", ErrUnsupported, clip(s.Name), clip(fmt.Sprint(a)))
		}
		raw, err := hex.DecodeString(s.Digest["sha256"])
		if err != nil || len(raw) != sha256.Size {
			return nil, fmt.Errorf("subject %q has no sha256 digest in hex", clip(s.Name))
		}
		name, err := resourceName(s.Name, "files")
		if err != nil {
			return nil, err
		}
		if err := m.add(name, hex.EncodeToString(raw)); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *manifest) add(name, digest string) error {
	if _, dup := m.digests[name]; dup {
		return fmt.Errorf("resource %q is listed twice", clip(name))
	}
	if name == "." || strings.HasPrefix(name, ".:") {
		m.singleFile = true
	}
	m.digests[name] = digest
	if m.singleFile && len(m.digests) > 1 {
		return errors.New(`resource "." (a single-file model) listed with others`)
	}
	return nil
}

// resourceName canonicalizes a resource name as the spec does (slash
// separators, no "." components or doubled slashes) and refuses names that
// leave the model root. Shard names keep their ":start:end" suffix.
func resourceName(name, method string) (string, error) {
	if !validName(name) {
		return "", fmt.Errorf("resource name %q is not a path", clip(name))
	}
	suffix := ""
	if method == "shards" {
		i := strings.LastIndexByte(name, ':')
		j := -1
		if i > 0 {
			j = strings.LastIndexByte(name[:i], ':')
		}
		if j <= 0 {
			return "", fmt.Errorf("shard name %q is not path:start:end", clip(name))
		}
		start, err1 := strconv.ParseInt(name[j+1:i], 10, 64)
		end, err2 := strconv.ParseInt(name[i+1:], 10, 64)
		if err1 != nil || err2 != nil || start < 0 || end <= start {
			return "", fmt.Errorf("shard name %q is not path:start:end", clip(name))
		}
		suffix = fmt.Sprintf(":%d:%d", start, end)
		name = name[:j]
	}
	clean := path.Clean(name)
	if strings.HasPrefix(name, "/") || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("resource name %q leaves the model directory", clip(name))
	}
	return clean + suffix, nil
}
