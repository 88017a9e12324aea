package artifact

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDigestDir digests a 1 GiB model: eight sparse 128 MiB shards
// (read as zeros, so the disk is not what is measured) and a config file.
func BenchmarkDigestDir(b *testing.B) {
	dir := b.TempDir()
	const shard = 128 << 20
	for i := range 8 {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("model-%05d-of-00008.safetensors", i+1)))
		if err != nil {
			b.Fatal(err)
		}
		if err := f.Truncate(shard); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"layers": 32}`), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(8 * shard)
	for b.Loop() {
		if _, err := DigestDir(context.Background(), dir, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyDigests verifies a key-signed bundle of a 1,000-file model
// against its declared digest list: parsing, ECDSA P-256, comparison.
func BenchmarkVerifyDigests(b *testing.B) {
	s := newTestSigner(b, "p256")
	declared := make(map[string]string, 1000)
	for i := range 1000 {
		declared[fmt.Sprintf("weights/part-%04d.bin", i)] = fmt.Sprintf("%064x", i)
	}
	bundle := s.bundle(b, v1Statement(declared, filesSerialization()), bundleOpts{})
	trust := s.trust(b)
	b.SetBytes(int64(len(bundle)))
	for b.Loop() {
		res, err := VerifyDigests(bundle, declared, trust, Options{})
		if err != nil || !res.Verified {
			b.Fatal(res.Problems(), err)
		}
	}
}

// BenchmarkVerifyKeyless verifies model-transparency's keyless fixture:
// Rekor entry, Fulcio chain, SCT and identity through sigstore-go.
func BenchmarkVerifyKeyless(b *testing.B) {
	bundle := read(b, mt+"v1.1.0-sigstore/model.sig")
	trust := sigstoreTrust(b, fixtureIdentity, fixtureIssuer)
	declared := map[string]string{
		"signme-1": "f6310066c7320497ea554260c32c43660bff648cb2a61194832cc086077085e1",
		"signme-2": "32dcb1f8e1ae52d5963e56a6ba06ab58b424c15ed2a6b70d2feca1d089370028",
	}
	for b.Loop() {
		res, err := VerifyDigests(bundle, declared, trust, Options{})
		if err != nil || !res.Verified {
			b.Fatal(res.Problems(), err)
		}
	}
}
