package tender

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
	"github.com/modeltender/modeltender/internal/manifest"
)

const (
	nativeCandidate = `{"schema_version": "1", "name": "granite", "weights": {"license": "Apache-2.0"}}`
	mofCandidate    = `framework:
  name: Model Openness Framework
  version: '1.0'
  date: '2024-12-15'
release:
  name: Tiny 1B
  producer: Example Labs
  huggingface: https://huggingface.co/example/tiny
  license:
    distribution:
      name: Apache 2.0
  components:
  - name: Model parameters (Final)
  - name: Model architecture
    license: Apache-2.0
`
	cycloneDXCandidate = `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
 "components": [{"type": "machine-learning-model", "name": "tiny-bom", "licenses": [{"license": {"id": "MIT"}}],
  "modelCard": {"modelParameters": {"task": "text-generation"}}}]}`
)

func file(format, content string) json.RawMessage {
	raw, _ := json.Marshal(map[string]string{"format": format, "content": content})
	return raw
}

func TestParseBidReadsEveryFormat(t *testing.T) {
	parsed, err := ParseBid(BidSubmission{Candidates: []json.RawMessage{
		json.RawMessage(nativeCandidate), file("mof", mofCandidate), file("cyclonedx", cycloneDXCandidate), file("manifest", nativeCandidate),
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		format   manifest.Format
		name     string
		unmapped string // a field reported as unmapped; "" for none
	}{
		{manifest.FormatNative, "granite", ""},
		{manifest.FormatMOF, "Tiny 1B", "release.huggingface"},
		{manifest.FormatCycloneDX, "tiny-bom", "modelCard.modelParameters"},
		{manifest.FormatNative, "granite", ""},
	}
	if len(parsed) != len(want) {
		t.Fatalf("%d candidates, want %d", len(parsed), len(want))
	}
	for i, w := range want {
		c := parsed[i]
		if c.Format != w.format || c.Manifest.Name != w.name {
			t.Errorf("candidate %d: %s %q, want %s %q", i, c.Format, c.Manifest.Name, w.format, w.name)
		}
		found := w.unmapped == ""
		for _, u := range c.Unmapped {
			found = found || u.Field == w.unmapped
		}
		if !found || (w.unmapped == "" && len(c.Unmapped) > 0) {
			t.Errorf("candidate %d: unmapped %+v, want %q reported", i, c.Unmapped, w.unmapped)
		}
	}
	// A MOF file may name its license in free text; the review flags it, intake does not refuse it.
	if got := parsed[1].Manifest.Weights.License; got != "Apache 2.0" {
		t.Errorf("MOF weights license %q, want the release's distribution license as written", got)
	}
	if cands := newCandidates("bid_1", parsed); cands[1].ManifestHash != manifest.Hash(parsed[1].Manifest) || cands[1].BidID != "bid_1" {
		t.Errorf("candidate 1 of the bid: %+v, want its manifest's hash under bid_1", cands[1])
	}
}

func TestParseBidNamesTheCandidateOfEachError(t *testing.T) {
	_, err := ParseBid(BidSubmission{Candidates: []json.RawMessage{
		json.RawMessage(nativeCandidate),
		file("mof", "release:\n  name: [unclosed\n"),
		file("cyclonedx", `{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []}`),
		file("spdx", "{}"),
		json.RawMessage(`{"format": "mof"}`),
		json.RawMessage(`{"format": "mof", "content": "x", "extra": 1}`),
		json.RawMessage(`{"schema_version": "1", "name": "bad", "weights": {"license": "Apache 2.0"}}`),
	}})
	var de *domain.Error
	if !errors.As(err, &de) {
		t.Fatalf("err = %v, want field errors", err)
	}
	want := map[string]string{ // field prefix -> part of its message
		"candidates[1]":            "line 2",
		"candidates[2].components": "machine-learning-model",
		"candidates[3].format":     "unknown format",
		"candidates[4].content":    "as a JSON string",
		"candidates[5]":            "extra",
		"candidates[6].weights":    "Apache-2.0",
	}
	for prefix, part := range want {
		found := false
		for _, f := range de.Fields {
			found = found || (strings.HasPrefix(f.Field, prefix) && strings.Contains(f.Message, part))
		}
		if !found {
			t.Errorf("no error at %s mentioning %q in %+v", prefix, part, de.Fields)
		}
	}
	for _, f := range de.Fields {
		if strings.HasPrefix(f.Field, "candidates[0]") {
			t.Errorf("the valid candidate 0 has an error: %+v", f)
		}
	}
}
