package ocds

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modeltender/modeltender/internal/domain"
)

// An awarded notice publishes what the award pins and the audit chain's
// head, validates, and keeps the bid's contents (its file list) unpublished.
func TestNoticePublishesPinAndChainHead(t *testing.T) {
	n := awardedTender()
	head := ChainHead{Seq: 42, Hash: strings.Repeat("ab", 32)}
	n.ChainHead = &head
	files := map[string]string{"model.safetensors": strings.Repeat("01", 32), "config.json": strings.Repeat("02", 32)}
	n.Awards[0].Pin = &domain.AwardPin{ManifestHash: "sha256:" + strings.Repeat("cd", 32), WeightsDigest: "sha256:" + strings.Repeat("ef", 32), Files: files}
	_, rel := buildValid(t, n)

	var chainDoc *Document
	for i, d := range rel.Tender.Documents {
		if d.ID == "audit-chain-head" {
			chainDoc = &rel.Tender.Documents[i]
		}
	}
	if chainDoc == nil || !strings.Contains(chainDoc.Description, "--head 42:"+head.Hash) || !strings.Contains(chainDoc.Title, "row 42") {
		t.Fatalf("chain head document: %+v", rel.Tender.Documents)
	}
	docs := rel.Awards[0].Documents
	if len(docs) != 1 || docs[0].DocumentType != documentWinningBid {
		t.Fatalf("award documents: %+v", docs)
	}
	list, err := fileListDigest(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{n.Awards[0].Pin.ManifestHash, n.Awards[0].Pin.WeightsDigest, "2 files", list, "--award awd_1"} {
		if !strings.Contains(docs[0].Description, want) {
			t.Errorf("pin document lacks %q: %s", want, docs[0].Description)
		}
	}
	doc, _ := json.Marshal(rel)
	if strings.Contains(string(doc), "model.safetensors") || strings.Contains(string(doc), "manifest") {
		t.Fatalf("the notice publishes the bid's contents: %s", doc)
	}
	// RFC 8785: keys sorted, no spaces; anyone can recompute it.
	canonical := `{"config.json":"` + files["config.json"] + `","model.safetensors":"` + files["model.safetensors"] + `"}`
	sum := sha256.Sum256([]byte(canonical))
	if want := "sha256:" + hex.EncodeToString(sum[:]); list != want {
		t.Fatalf("list digest %s, want %s", list, want)
	}
}

func TestProvenanceCodesAreInTheirCodelists(t *testing.T) {
	known := codelist(t, filepath.Join("schema", "codelists/documentType.csv"))
	for _, c := range []string{documentWinningBid, documentEvaluationReports} {
		if !known[c] {
			t.Errorf("documentType %q is not in the codelist", c)
		}
	}
}
