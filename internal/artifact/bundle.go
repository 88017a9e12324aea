package artifact

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

const inTotoPayloadType = "application/vnd.in-toto+json"

// bundleMediaTypes are the Sigstore bundle versions a DSSE envelope may come
// in; OMS producers write v0.3, sigstore clients accept all of these.
var bundleMediaTypes = map[string]bool{
	"application/vnd.dev.sigstore.bundle+json;version=0.1": true,
	"application/vnd.dev.sigstore.bundle+json;version=0.2": true,
	"application/vnd.dev.sigstore.bundle+json;version=0.3": true,
	"application/vnd.dev.sigstore.bundle.v0.3+json":        true,
}

// envelope is the DSSE envelope of a bundle, its fields decoded.
type envelope struct {
	payload     []byte
	payloadType string
	signatures  [][]byte
}

// bundle is what verification needs from a Sigstore bundle.
type bundle struct {
	raw    []byte
	method Method
	// keyHint is publicKey.hint (model_signing 1.1+): the hex SHA-256 of the
	// signer's PEM public key, advisory only as nothing signs it.
	keyHint string
	chain   []*x509.Certificate // x509CertificateChain: leaf first
	env     envelope
}

// bundleJSON is the protobuf-specs JSON form of a bundle, camelCase as every
// producer writes it. Only the fields OMS verification reads are named.
type bundleJSON struct {
	MediaType            string `json:"mediaType"`
	VerificationMaterial *struct {
		PublicKey *struct {
			Hint     string `json:"hint"`
			RawBytes string `json:"rawBytes"` // model_signing 0.3-1.0 embedded the PEM here
		} `json:"publicKey"`
		X509CertificateChain *struct {
			Certificates []struct {
				RawBytes string `json:"rawBytes"`
			} `json:"certificates"`
		} `json:"x509CertificateChain"`
		Certificate *struct {
			RawBytes string `json:"rawBytes"`
		} `json:"certificate"`
	} `json:"verificationMaterial"`
	DSSEEnvelope *struct {
		Payload     string `json:"payload"`
		PayloadType string `json:"payloadType"`
		Signatures  []struct {
			Sig string `json:"sig"`
		} `json:"signatures"`
	} `json:"dsseEnvelope"`
	MessageSignature json.RawMessage `json:"messageSignature"`
}

func bundleError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBundle, fmt.Sprintf(format, args...))
}

// parseBundle reads a Sigstore bundle within the input bounds. It checks
// structure only: nothing in it is trusted yet.
func parseBundle(data []byte) (*bundle, error) {
	if len(data) > MaxBundleBytes {
		return nil, bundleError("%d bytes, more than the %d a model signature needs", len(data), MaxBundleBytes)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, bundleError("the file is empty")
	}
	if err := checkJSON(data); err != nil {
		return nil, bundleError("%v", err)
	}
	var bj bundleJSON
	if err := json.Unmarshal(data, &bj); err != nil {
		return nil, bundleError("%v", err)
	}
	if !bundleMediaTypes[bj.MediaType] {
		return nil, bundleError("mediaType %q is not a Sigstore bundle (want application/vnd.dev.sigstore.bundle.v0.3+json)", bj.MediaType)
	}
	if bj.DSSEEnvelope == nil {
		if bj.MessageSignature != nil {
			return nil, bundleError("it signs a single blob (messageSignature), not a model manifest in a DSSE envelope")
		}
		return nil, bundleError("it has no dsseEnvelope")
	}
	vm := bj.VerificationMaterial
	if vm == nil {
		return nil, bundleError("it has no verificationMaterial")
	}
	b := &bundle{raw: data}
	switch {
	case vm.PublicKey != nil && vm.X509CertificateChain == nil && vm.Certificate == nil:
		b.method = MethodKey
		b.keyHint = strings.ToLower(vm.PublicKey.Hint)
	case vm.X509CertificateChain != nil && vm.PublicKey == nil && vm.Certificate == nil:
		b.method = MethodCertificate
		certs := vm.X509CertificateChain.Certificates
		if len(certs) == 0 || len(certs) > maxCertificates {
			return nil, bundleError("x509CertificateChain holds %d certificates, want 1 to %d", len(certs), maxCertificates)
		}
		for i, c := range certs {
			der, err := decodeBase64(c.RawBytes)
			if err != nil {
				return nil, bundleError("certificate %d: %v", i, err)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, bundleError("certificate %d: %v", i, err)
			}
			b.chain = append(b.chain, cert)
		}
	case vm.Certificate != nil && vm.PublicKey == nil && vm.X509CertificateChain == nil:
		b.method = MethodSigstore
	default:
		return nil, bundleError("verificationMaterial must hold exactly one of publicKey, x509CertificateChain or certificate")
	}
	env := bj.DSSEEnvelope
	payload, err := decodeBase64(env.Payload)
	if err != nil {
		return nil, bundleError("dsseEnvelope.payload: %v", err)
	}
	if len(payload) == 0 {
		return nil, bundleError("dsseEnvelope.payload is empty")
	}
	if len(env.Signatures) == 0 || len(env.Signatures) > maxSignatures {
		return nil, bundleError("dsseEnvelope holds %d signatures, want 1 to %d", len(env.Signatures), maxSignatures)
	}
	b.env = envelope{payload: payload, payloadType: env.PayloadType}
	for i, s := range env.Signatures {
		sig, err := decodeBase64(s.Sig)
		if err != nil || len(sig) == 0 {
			return nil, bundleError("dsseEnvelope signature %d is not base64 (%v)", i, err)
		}
		b.env.signatures = append(b.env.signatures, sig)
	}
	return b, nil
}

// decodeBase64 accepts the encodings DSSE and protobuf JSON allow: standard
// or URL-safe alphabet, padded or not.
func decodeBase64(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// checkJSON refuses JSON nested deeper than MaxJSONDepth and objects with a
// key twice (also when only letter case differs, which encoding/json would
// merge): a verifier and a signer must not read different documents.
func checkJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object  bool
		keys    map[string]bool
		wantKey bool
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			if len(stack) != 0 {
				return errors.New("JSON ends early")
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("not JSON: %v", err)
		}
		if n := len(stack); n > 0 && stack[n-1].object {
			top := &stack[n-1]
			if top.wantKey {
				if d, ok := tok.(json.Delim); ok && d == '}' {
					stack = stack[:n-1]
					continue
				}
				key, _ := tok.(string)
				folded := strings.ToLower(strings.ToUpper(key))
				if top.keys[folded] {
					return fmt.Errorf("key %q appears twice in one object", key)
				}
				top.keys[folded] = true
				top.wantKey = false
				continue
			}
			top.wantKey = true
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) >= MaxJSONDepth {
				return fmt.Errorf("JSON nested deeper than %d levels", MaxJSONDepth)
			}
			stack = append(stack, frame{object: tok == json.Delim('{'), keys: map[string]bool{}, wantKey: true})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 && dec.More() {
			return errors.New("more than one JSON value")
		}
	}
}

// validName reports whether s can be a path in a manifest: valid UTF-8 of a
// sane length without NUL.
func validName(s string) bool {
	return s != "" && len(s) <= maxNameBytes && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
