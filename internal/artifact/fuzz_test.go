package artifact

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzVerifyDigests feeds arbitrary bytes as a bundle: parsing must refuse
// or judge them without panicking, and nothing unsigned may verify. Seeds
// are every real bundle in testdata plus testdata/fuzz/FuzzVerifyDigests.
func FuzzVerifyDigests(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/model-transparency/*/model.sig")
	specs, _ := filepath.Glob("testdata/oms-spec/*.json")
	for _, name := range append(seeds, specs...) {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
		// and the decoded statement, for the statement parser
		if b, err := parseBundle(data); err == nil {
			f.Add(b.env.payload)
		}
	}
	trust := keyTrust(f)
	declared := map[string]string{
		"signme-1": "bc9a717db6064a32cbe9eae6fc40651dd6d36ef1757183f590eff2b1765d7ebc",
		"signme-2": "32dcb1f8e1ae52d5963e56a6ba06ab58b424c15ed2a6b70d2feca1d089370028",
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := VerifyDigests(data, declared, trust, Options{})
		if err != nil {
			if !errors.Is(err, ErrBundle) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error of no known kind: %v", err)
			}
			return
		}
		if res.Verified && (res.Signer == nil || res.TrustFailure != "") {
			t.Fatalf("verified without a trusted signer: %+v", res)
		}
		// The statement parser also reads hostile bytes (before the signature
		// is checked, to learn whether the statement is legacy).
		m, err := parseStatement(inTotoPayloadType, data)
		if err != nil {
			return
		}
		if len(m.digests) == 0 || len(m.digests) > MaxResources {
			t.Fatalf("statement parsed with %d resources", len(m.digests))
		}
		for name := range m.digests {
			if p := resourcePath(name, m.ser.Method); !validName(p) || p == ".." || strings.HasPrefix(p, "../") || strings.HasPrefix(p, "/") {
				t.Fatalf("resource %q leaves the model", name)
			}
		}
	})
}
