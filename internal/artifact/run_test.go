package artifact

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func runCLI(args ...string) (string, string, error) {
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), args, nil, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func exitCode(err error) int {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestRunVerify(t *testing.T) {
	keyDir := mt + "v1.1.0-elliptic-key"
	pub := mt + "keys/signing-key-pub.pem"
	t.Run("verified", func(t *testing.T) {
		out, _, err := runCLI("verify", "--signature", keyDir+"/model.sig", "--public-key", pub, keyDir)
		if err != nil || !strings.Contains(out, "verified: ") || !strings.Contains(out, fixtureKeyFingerprint) {
			t.Errorf("out %q, err %v", out, err)
		}
	})
	t.Run("keyless, signature defaulting to MODEL_DIR/model.sig", func(t *testing.T) {
		out, _, err := runCLI("verify", "--trusted-root", "testdata/sigstore-go/public-good.json",
			"--identity", fixtureIdentity, "--issuer", fixtureIssuer, mt+"v1.0.0-sigstore")
		if err != nil || !strings.Contains(out, fixtureIdentity) {
			t.Errorf("out %q, err %v", out, err)
		}
	})
	t.Run("legacy noted", func(t *testing.T) {
		out, _, err := runCLI("verify", "--certificate-chain", mt+"keys/ca-cert.pem", "--json", mt+"v0.2.0-certificate")
		var res Result
		if err != nil || json.Unmarshal([]byte(out), &res) != nil || !res.Verified || !res.Legacy {
			t.Errorf("out %q, err %v", out, err)
		}
	})
	t.Run("changed, missing and extra named, exit 1", func(t *testing.T) {
		dir := copyFixture(t, "v1.1.0-elliptic-key")
		write(t, dir+"/signme-1", "tampered")
		write(t, dir+"/extra.bin", "x")
		write(t, dir+"/sub/more.bin", "x")
		out, _, err := runCLI("verify", "--public-key", pub, "--ignore-paths", "sub", dir)
		if exitCode(err) != 1 || !strings.Contains(out, "changed: signme-1") || !strings.Contains(out, "extra (not signed): extra.bin") || strings.Contains(out, "more.bin") {
			t.Errorf("exit %d, out %q", exitCode(err), out)
		}
	})
	t.Run("wrong key, exit 1", func(t *testing.T) {
		out, _, err := runCLI("verify", "--certificate-chain", mt+"keys/ca-cert.pem", keyDir)
		if exitCode(err) != 1 || !strings.Contains(out, "signature not trusted") {
			t.Errorf("exit %d, out %q", exitCode(err), out)
		}
	})
	unreadable := map[string][]string{
		"no trust":               {"verify", keyDir},
		"two trusts":             {"verify", "--public-key", pub, "--certificate-chain", mt + "keys/ca-cert.pem", keyDir},
		"keyless without issuer": {"verify", "--trusted-root", "testdata/sigstore-go/public-good.json", "--identity", fixtureIdentity, keyDir},
		"identity with a key":    {"verify", "--public-key", pub, "--identity", fixtureIdentity, keyDir},
		"missing signature":      {"verify", "--public-key", pub, "--signature", keyDir + "/nope.sig", keyDir},
		"not a bundle":           {"verify", "--public-key", pub, "--signature", keyDir + "/signme-1", keyDir},
		"missing key file":       {"verify", "--public-key", keyDir + "/nope.pem", keyDir},
		"key file not a key":     {"verify", "--public-key", keyDir + "/signme-1", keyDir},
		"missing model":          {"verify", "--public-key", pub, "--signature", keyDir + "/model.sig", keyDir + "/nope"},
		"no model":               {"verify", "--public-key", pub},
		"flag after model":       {"verify", keyDir, "--public-key", pub},
		"unknown flag":           {"verify", "--key", pub, keyDir},
		"unknown command":        {"sign", keyDir},
		"nothing":                {},
	}
	for name, args := range unreadable {
		t.Run(name+", exit 2", func(t *testing.T) {
			_, _, err := runCLI(args...)
			if exitCode(err) != 2 || err.Error() == "" {
				t.Errorf("exit %d (%v), want 2", exitCode(err), err)
			}
		})
	}
}

func TestRunDigest(t *testing.T) {
	out, _, err := runCLI("digest", "--ignore-paths", "ignore-me", mt+"v1.1.0-elliptic-key")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	// The declared list verifies against the vendor's signature.
	res, err := VerifyDigests(read(t, mt+"v1.1.0-elliptic-key/model.sig"), got, keyTrust(t), Options{})
	if err != nil || !res.Verified || len(got) != 2 {
		t.Errorf("digest list %v: %v, %v", got, res.Problems(), err)
	}
	if _, _, err := runCLI("digest", mt+"nope"); exitCode(err) != 2 {
		t.Errorf("digest of a missing directory: exit %d", exitCode(err))
	}
}
