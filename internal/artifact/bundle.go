package artifact

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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
		return nil, bundleError("mediaType %q is not a Sigstore bundle (want application/vnd.dev.sigstore.bundle.v0.3+json)", clip(bj.MediaType))
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

// checkJSON refuses what is not one JSON value, JSON nested deeper than
// MaxJSONDepth, objects of more than maxObjectKeys keys, and objects with a
// key twice (also when only letter case differs, which encoding/json would
// merge): a verifier and a signer must not read different documents. It is
// one pass over the bytes after json.Valid, as json.Decoder.Token took
// seconds on a hostile 8 MB bundle.
func checkJSON(data []byte) error {
	if !json.Valid(data) {
		var v struct{}
		return fmt.Errorf("not JSON: %v", json.Unmarshal(data, &v)) // a syntax error, with its offset
	}
	var stack []jsonObject
	wantKey := false
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '"':
			j := i + 1
			for escaped := false; ; j++ { // json.Valid guarantees the closing quote
				if escaped {
					escaped = false
				} else if data[j] == '\\' {
					escaped = true
				} else if data[j] == '"' {
					break
				}
			}
			if wantKey {
				key := data[i+1 : j]
				if bytes.IndexByte(key, '\\') >= 0 {
					var k string
					_ = json.Unmarshal(data[i:j+1], &k) // valid, so it decodes
					key = []byte(k)
				}
				if err := stack[len(stack)-1].add(key); err != nil {
					return err
				}
				wantKey = false
			}
			i = j
		case '{', '[':
			if len(stack) >= MaxJSONDepth {
				return fmt.Errorf("JSON nested deeper than %d levels", MaxJSONDepth)
			}
			stack = append(stack, jsonObject{object: data[i] == '{'})
			wantKey = data[i] == '{'
		case '}', ']':
			stack = stack[:len(stack)-1]
			wantKey = false
		case ',':
			wantKey = stack[len(stack)-1].object
		}
	}
	return nil
}

// jsonObject is one open object (or array) while checkJSON scans: its keys
// compared by case folding as encoding/json matches them, in a short list
// until a map pays off.
type jsonObject struct {
	object bool
	few    [][]byte
	many   map[string]bool
}

func (o *jsonObject) add(key []byte) error {
	if len(o.few)+len(o.many) >= maxObjectKeys {
		return fmt.Errorf("an object has more than %d keys", maxObjectKeys)
	}
	if o.many == nil {
		for _, k := range o.few {
			if bytes.EqualFold(k, key) {
				return fmt.Errorf("key %q appears twice in one object", clip(string(key)))
			}
		}
		if len(o.few) < 16 {
			o.few = append(o.few, key)
			return nil
		}
		o.many = make(map[string]bool, 2*len(o.few))
		for _, k := range o.few {
			o.many[fold(k)] = true
		}
		o.few = nil
	}
	f := fold(key)
	if o.many[f] {
		return fmt.Errorf("key %q appears twice in one object", clip(string(key)))
	}
	o.many[f] = true
	return nil
}

func fold(b []byte) string { return string(bytes.ToLower(bytes.ToUpper(b))) }

// clip shortens an untrusted string quoted in a message.
func clip(s string) string {
	const limit = 80
	if len(s) <= limit {
		return s
	}
	return strings.ToValidUTF8(s[:limit], "") + "..."
}

// validName reports whether s can be a path in a manifest: valid UTF-8 of a
// sane length without NUL.
func validName(s string) bool {
	return s != "" && len(s) <= maxNameBytes && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
