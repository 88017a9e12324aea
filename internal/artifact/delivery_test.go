package artifact

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

// pinOf pins a real signed fixture model as an award would.
func pinOf(t *testing.T, dir string) domain.AwardPin {
	t.Helper()
	files, err := DigestDir(context.Background(), dir, []string{"model.sig"})
	if err != nil {
		t.Fatal(err)
	}
	return domain.AwardPin{ManifestHash: "sha256:" + strings.Repeat("0", 64), Files: files}
}

func runAward(pin domain.AwardPin, args ...string) (string, error) {
	pins := func(_ context.Context, id string) (domain.AwardPin, error) {
		if id != "awd_1" {
			return domain.AwardPin{}, domain.Errorf(domain.ErrNotFound, "no award %s", id)
		}
		return pin, nil
	}
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), append([]string{"verify"}, args...), pins, &stdout, &stderr)
	return stdout.String(), err
}

func TestVerifyAward(t *testing.T) {
	pin := pinOf(t, mt+"v1.1.0-elliptic-key")
	pub := mt + "keys/signing-key-pub.pem"

	t.Run("the awarded model", func(t *testing.T) {
		out, err := runAward(pin, "--award", "awd_1", mt+"v1.1.0-elliptic-key")
		if err != nil || !strings.Contains(out, "matches award awd_1") {
			t.Errorf("out %q, err %v", out, err)
		}
	})
	t.Run("the awarded model with its signature", func(t *testing.T) {
		out, err := runAward(pin, "--award", "awd_1", "--public-key", pub, "--json", mt+"v1.1.0-elliptic-key")
		var got struct {
			Delivery  Delivery `json:"delivery"`
			Signature *Result  `json:"signature"`
		}
		if err != nil || json.Unmarshal([]byte(out), &got) != nil || !got.Delivery.Matches || got.Signature == nil || !got.Signature.Verified {
			t.Errorf("out %q, err %v", out, err)
		}
	})
	t.Run("changed, missing and extra named, exit 1", func(t *testing.T) {
		dir := copyFixture(t, "v1.1.0-elliptic-key")
		write(t, dir+"/signme-1", "swapped weights")
		if err := os.Remove(dir + "/signme-2"); err != nil {
			t.Fatal(err)
		}
		write(t, dir+"/extra.bin", "x")
		out, err := runAward(pin, "--award", "awd_1", dir)
		for _, want := range []string{"NOT the awarded model", "changed: signme-1", "missing: signme-2", "extra (not awarded): extra.bin"} {
			if !strings.Contains(out, want) {
				t.Errorf("out lacks %q: %s", want, out)
			}
		}
		if exitCode(err) != 1 {
			t.Errorf("exit %d", exitCode(err))
		}
	})
	t.Run("the awarded files under a signature that does not verify, exit 1", func(t *testing.T) {
		out, err := runAward(pin, "--award", "awd_1", "--certificate-chain", mt+"keys/ca-cert.pem", mt+"v1.1.0-elliptic-key")
		if exitCode(err) != 1 || !strings.Contains(out, "matches award awd_1") || !strings.Contains(out, "NOT verified") {
			t.Errorf("exit %d, out %q", exitCode(err), out)
		}
	})
	t.Run("unknown award or no database, exit 2", func(t *testing.T) {
		if _, err := runAward(pin, "--award", "awd_2", mt+"v1.1.0-elliptic-key"); exitCode(err) != 2 || !strings.Contains(err.Error(), "no award awd_2") {
			t.Errorf("err %v", err)
		}
		var stdout, stderr bytes.Buffer
		if err := Run(context.Background(), []string{"verify", "--award", "awd_1", mt + "v1.1.0-elliptic-key"}, nil, &stdout, &stderr); exitCode(err) != 2 {
			t.Errorf("without a database: %v", err)
		}
	})
	t.Run("an award that pins nothing, exit 2", func(t *testing.T) {
		_, err := runAward(domain.AwardPin{ManifestHash: pin.ManifestHash}, "--award", "awd_1", mt+"v1.1.0-elliptic-key")
		if exitCode(err) != 2 || !strings.Contains(err.Error(), "pins no weights digest") {
			t.Errorf("err %v", err)
		}
	})
}

func TestCompareDeliveryWeightsDigestOnly(t *testing.T) {
	files := pinOf(t, mt+"v1.1.0-elliptic-key").Files
	pin := domain.AwardPin{WeightsDigest: "sha256:" + files["signme-1"]}
	if d, err := CompareDelivery(pin, files); err != nil || !d.Matches || d.Pinned != 1 {
		t.Errorf("delivery with the weights: %+v, %v", d, err)
	}
	delete(files, "signme-1")
	if d, err := CompareDelivery(pin, files); err != nil || d.Matches || len(d.Missing) != 1 || !strings.Contains(d.Missing[0], pin.WeightsDigest) {
		t.Errorf("delivery without the weights: %+v, %v", d, err)
	}
	if _, err := CompareDelivery(pin, map[string]string{"../x": strings.Repeat("0", 64)}); err == nil {
		t.Error("a path leaving the model root was accepted")
	}
	if _, err := CompareDelivery(pin, map[string]string{"x": "zz"}); err == nil {
		t.Error("a digest that is not hex was accepted")
	}
}
